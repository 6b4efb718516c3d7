export {
  type Executor,
  type ExecOptions,
  type ExecResult,
  type DirEntry,
  type ExecutorStats,
  type FileToWrite,
  type TreeSnapshot,
  CommandError,
  run,
  resolveHome,
} from './executor.js';
export { LocalExecutor } from './local.js';
export { SshExecutor, ConnectionError, type SshEndpoint } from './ssh.js';
export { HostKeyError, verifyHostKey, fingerprint, knownHostsName } from './known-hosts.js';
export { quoteWord, shellCommand, exportLine, printable, type CommandOptions } from './quote.js';
export { withRetry, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export {
  OpenSshExecutor,
  AuthenticationError,
  controlDir,
  hostKeyOf,
  parseProxyJump,
  plainKeysRefused,
  type OpenSshEndpoint,
  type AuthInfo,
} from './openssh.js';
export {
  readCertificate,
  agentCertificates,
  validity,
  describeCertificate,
  parseCertificateListing,
  type CertificateInfo,
} from './certificate.js';
