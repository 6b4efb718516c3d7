  # A case of nodes × ranks per node: fedbench runs here, on the first node of the job, and starts the ranks as
  # one srun step (one task per GPU, rank-env.sh sets each task's rendezvous); a failing rank ends the step.
  FEDBENCH_RANK_LAUNCHER={{launcher}} "${fedbench[@]}" run --suite "$suite" --campaign {{campaignQuoted}} --out "$out"{{estimate}} || status=$?
