// What a site profile (slurm/sites/NAME.yaml) may contain. Values that end up in job scripts are checked
// here against what Slurm accepts, so nothing from a profile can become shell or directive syntax.
import { z } from 'zod';

/** Partition, account, QoS, GPU type, node names: Slurm's own names. */
const slurmName = z
  .string()
  .regex(/^[A-Za-z0-9_.:+@-]+$/, { message: 'expected a Slurm name (letters, digits, _ . : + @ -)' });
/** [D-]HH:MM:SS, MM:SS, or minutes. */
const timeLimit = z
  .string()
  .regex(/^(\d+-)?\d+(:\d{2}){0,2}$/, { message: "expected a Slurm time limit, e.g. '01:00:00' or '1-00:00:00'" });
const memory = z.string().regex(/^\d+[KMGT]?$/, { message: "expected a Slurm memory size, e.g. '64G' or '0' (all)" });
const placeholderFree = (what: string) =>
  z.string().refine((s) => !/<[A-Z_ ]+>/.test(s), {
    message: `still a placeholder: fill in the ${what} (see the comment in the profile)`,
  });

const userName = z.string().regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/, { message: 'expected a user name' });

/** A host name, address or ~/.ssh/config alias: never an option (a leading -), never whitespace or % (ssh's tokens). */
const hostName = z.string().regex(/^[A-Za-z0-9_.[\]][A-Za-z0-9_.:[\]-]*$/, {
  message: 'expected a host name, address or ~/.ssh/config alias (letters, digits, _ . : - [ ]; not starting with -)',
});

export const sshSchema = z
  .strictObject({
    /**
     * `ssh2` (default): pure JavaScript, plain keys from files or the agent. `openssh`: the system's `ssh`, with the user's
     * ~/.ssh/config (aliases, ProxyJump, CertificateFile…), user certificates (files or agent), host certificates
     * (@cert-authority), and one ControlMaster connection per site that `fedbench sites login` may open interactively (MFA).
     */
    transport: z.enum(['ssh2', 'openssh']).default('ssh2'),
    /** Login host; with `openssh` also an alias from ~/.ssh/config. */
    host: placeholderFree('login host').pipe(hostName),
    /** Gateways to pass through, in order (OpenSSH's ProxyJump); each host key is checked in knownHosts. */
    jump: z
      .array(
        z.strictObject({
          host: placeholderFree('jump host').pipe(hostName),
          port: z.number().int().min(1).max(65535).default(22),
          /** Defaults to the site's user. */
          user: placeholderFree('user name').pipe(userName).optional(),
        }),
      )
      .max(4)
      .default([]),
    /** Default 22; with `openssh`, unset means what ~/.ssh/config says (profile fields override the config). */
    port: z.number().int().min(1).max(65535).optional(),
    /** Required with `ssh2`; with `openssh`, unset means what ~/.ssh/config says. */
    user: placeholderFree('user name').pipe(userName).optional(),
    /** Private key; without it, the SSH agent ($SSH_AUTH_SOCK) (and, with `openssh`, ~/.ssh/config's IdentityFile). `~/` is your home here. */
    identityFile: z.string().optional(),
    /** `openssh` only: the user certificate (default: IDENTITY-cert.pub beside the key, as ssh does). */
    certificateFile: z.string().optional(),
    /** `openssh` only: the ssh_config file to read (ssh's -F; default ~/.ssh/config). */
    configFile: z.string().optional(),
    agent: z.boolean().default(false),
    knownHosts: z.string().default('~/.ssh/known_hosts'),
    connectTimeoutSeconds: z.number().positive().default(20),
    commandTimeoutSeconds: z.number().positive().default(120),
    keepaliveSeconds: z.number().positive().default(15),
    retries: z.number().int().min(1).max(10).default(4),
    /** `openssh` only: how long the site's master connection stays open with nothing running through it (ControlPersist). */
    persistMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(240),
  })
  .superRefine((s, ctx) => {
    if (s.transport === 'ssh2' && !s.user)
      ctx.addIssue({
        code: 'custom',
        path: ['user'],
        message:
          "a user name is required with the ssh2 transport (with 'transport: openssh' it may come from ~/.ssh/config)",
      });
    if (s.transport === 'ssh2')
      for (const k of ['certificateFile', 'configFile'] as const)
        if (s[k] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `${k} needs 'transport: openssh' (ssh2 cannot use OpenSSH certificates or ssh_config)`,
          });
  });

export const schedulerSchema = z.strictObject({
  /** Which batch scheduler runs the site (src/scheduler/: the registry checks the name when the site is used). */
  kind: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, { message: 'expected a scheduler name such as slurm' })
    .default('slurm'),
  partition: placeholderFree('partition').pipe(slurmName),
  account: placeholderFree('account').pipe(slurmName).optional(),
  qos: placeholderFree('QoS').pipe(slurmName).optional(),
  timeLimit: timeLimit.default('01:00:00'),
  gpus: z
    .strictObject({
      /** `gres`: --gres=gpu:TYPE:N;  `gpus`: --gpus=TYPE:N (or --gpus=N without a type). */
      style: z.enum(['gres', 'gpus']).default('gres'),
      type: slurmName.optional(),
      /** GPUs per job of a normal case (a whole-node case takes every GPU of the node). */
      perJob: z.number().int().min(0).default(1),
    })
    .default({ style: 'gres', perJob: 1 }),
  cpusPerGpu: z.number().int().min(1).optional(),
  memory: memory.optional(),
  /** The site's MaxArraySize, if known; else read from `scontrol show config` at submit. */
  maxArraySize: z.number().int().min(1).optional(),
  /** More sbatch options, each one `--name=value` (checked like the rest). */
  extra: z
    .array(
      z
        .string()
        .regex(/^--[a-z][a-z-]*(=[A-Za-z0-9_.,:=+@%/-]+)?$/, { message: "expected one sbatch option '--name=value'" }),
    )
    .default([]),
});

export const factsSchema = z.strictObject({
  gpu: z.strictObject({
    model: z.string(),
    perNode: z.number().int().min(1),
    memoryGiB: z.number().positive().optional(),
  }),
  /** Datasheet peaks, for reports (fraction of peak). */
  peak: z
    .strictObject({
      fp64TFlops: z.number().positive().optional(),
      fp32TFlops: z.number().positive().optional(),
      tf32TensorTFlops: z.number().positive().optional(),
      fp16TensorTFlops: z.number().positive().optional(),
      hbmGBs: z.number().positive().optional(),
      tdpWatts: z.number().positive().optional(),
    })
    .default({}),
  /** What lies between the GPUs, from the site's documentation (name it in `sources`): each comm figure is shown as a
   * share of its link's peak. */
  interconnect: z
    .strictObject({
      /** GPU↔GPU inside a node, per GPU and per direction (A100 SXM4, NVLink 3: 600 GB/s both ways → 300). */
      intraNode: z
        .strictObject({ link: z.string().min(1), gbPerSecPerGpu: z.number().positive().optional() })
        .optional(),
      /** Node↔node: every rail of a node together, line rate (2× dual-port HDR100: 400 Gb/s). */
      interNode: z
        .strictObject({
          link: z.string().min(1),
          rails: z.number().int().min(1).optional(),
          gbitPerNode: z.number().positive().optional(),
        })
        .optional(),
    })
    .optional(),
  nodes: z.number().int().min(1).optional(),
  nodeHourCost: z.number().min(0).optional(),
  currency: z.string().optional(),
  energyPricePerKWh: z.number().min(0).optional(),
  /** Grid carbon intensity, gCO2e per kWh. */
  carbonGPerKWh: z.number().min(0).optional(),
  sources: z.array(z.string()).default([]),
});

/** Paths written into #SBATCH lines, which no shell parses: only characters that need no quoting. */
const SCRIPT_PATH = /^\/[A-Za-z0-9_./+@-]*$/;
const SCRIPT_PATH_CHARS = 'letters, digits and _ . / + @ - (it is written into #SBATCH lines)';
export const SCRIPT_PATH_RULE = `an absolute path of ${SCRIPT_PATH_CHARS}`;
export const isScriptPath = (p: string): boolean => SCRIPT_PATH.test(p);

export const siteSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, { message: 'expected a lower-case site name (letters, digits, _ -)' }),
  description: z.string().optional(),
  /** Absent: this machine (the local executor). */
  ssh: sshSchema.optional(),
  scheduler: schedulerSchema,
  /** `module load` lines, in order. */
  modules: z.array(z.string().regex(/^[A-Za-z0-9_.+/@-]+$/, { message: 'expected a module name' })).default([]),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected an environment variable name' }),
      z.string(),
    )
    .default({}),
  /** Where campaigns live on the site (job scripts, records, logs); `~/` is the remote home (checked again once resolved: resolveWorkdir). */
  workdir: placeholderFree('working directory').pipe(
    z.string().refine((p) => isScriptPath(p.replace(/^~(?=\/|$)/, '/')), {
      message: `expected an absolute path or ~/path of ${SCRIPT_PATH_CHARS}`,
    }),
  ),
  /** How fedbench starts on a compute node. */
  fedbench: z
    .strictObject({
      /** argv; default: node WORKDIR/fedbench/dist/cli/main.js (what `fedbench deploy` installs). */
      command: z.array(z.string().min(1)).min(1).optional(),
      /** Prefix for a containerised fedbench, e.g. [apptainer, exec, --nv, ~/fedbench.sif]. */
      container: z.array(z.string().min(1)).optional(),
      node: z.string().default('node'),
    })
    .default({ node: 'node' }),
  facts: factsSchema,
});

export type SiteProfile = z.infer<typeof siteSchema>;
export type SiteFactsSpec = z.infer<typeof factsSchema>;
