  "${fedbench[@]}" run --suite "$suite" --campaign {{campaignQuoted}} --out "$out"{{estimate}} || status=$?
