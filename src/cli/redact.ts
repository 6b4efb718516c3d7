// `fedbench redact check FILE… --against RECORDS…`: the proof that a file is fit to leave the centre — every
// identifying value of the original records (as `report --redact` finds them) looked for in it in every escaped
// form; exit 1 when one survives. `fedbench redact fields`: what redaction does with each field (README's table).
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { InputError } from '../errors.js';
import { profileHints } from '../share/index.js';
import { decisionsMarkdown, redactRecords, survivors } from '../redact/index.js';
import { loadRecords } from './results-input.js';

export function redactCommand(): Command {
  const cmd = new Command('redact').description('prove a shared file holds no identifying value; list the decisions');
  cmd
    .command('check')
    .description(
      'look for every identifying value of the original records in FILEs (any case, escaped or not); exit 1 when one survives',
    )
    .argument('<file...>', 'files to check (a redacted report, its exports, anything)')
    .requiredOption('--against <dir...>', 'folders of the original (unredacted) run records')
    .option(
      '--sites-dir <dir>',
      'site profiles: their logins, hosts, gateways, accounts and partitions are identifying too',
    )
    .option('--redact-also <value...>', 'more identifying values (as given to report --redact-also)')
    .action(async (files: string[], opts: { against: string[]; sitesDir?: string; redactAlso?: string[] }) => {
      const records = await loadRecords(opts.against);
      const present = new Set(records.flatMap((r) => (r.site ? [r.site] : [])));
      const warn = (line: string) => process.stderr.write(`fedbench: ${line}\n`);
      const hints = opts.sitesDir ? profileHints(opts.sitesDir, present, warn) : { known: {}, keep: [] };
      const { replaced } = redactRecords(records, {
        known: { ...hints.known, values: opts.redactAlso ?? [] },
        keep: hints.keep,
      });
      const checked = replaced.filter((v) => v.inText);
      let found = 0;
      for (const file of files) {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (err) {
          throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
        for (const s of survivors(text, checked)) {
          found++;
          process.stdout.write(
            `${file}:${s.line}: ${s.value.kind} ${JSON.stringify(s.value.value)} survives (${s.form})\n`,
          );
        }
      }
      const wordsOnly = replaced.length - checked.length;
      const also = wordsOnly
        ? ` (${wordsOnly} more replaced only as whole fields, such as a partition named like a word, not looked for)`
        : '';
      if (found) {
        process.stdout.write(`redact check: ${found} identifying value(s) survive in ${files.length} file(s)\n`);
        process.exitCode = 1;
      } else
        process.stdout.write(
          `redact check: none of ${checked.length} identifying values from ${records.length} records is in ${files.length} file(s)${also}\n`,
        );
    });
  cmd
    .command('fields')
    .description("what redaction does with each field of the record and each environment variable (README's table)")
    .action(() => {
      process.stdout.write(decisionsMarkdown());
    });
  return cmd;
}
