#!/usr/bin/env bash
# Brings up the federation test environment on this machine (Debian 12, root), from Debian's packages:
#   munge · MariaDB + slurmdbd (one accounting database for every cluster) · two Slurm sites, each in its own
#   network namespace with its own sshd (port 22), slurmctld and slurmd(s), count-only A100 GPUs ·
#   an sshd on loopback (127.0.0.1:2222) that reaches site alpha's cluster. Each site also runs a certificate-only
#   sshd on port 2022, as federated sites do: it trusts a test user CA (TrustedUserCAKeys, no authorized_keys at all)
#   and presents a host certificate signed by a test host CA, which clients trust only through @cert-authority.
# Site alpha: 2 nodes (a100-[01-02]), 4 GPUs each, Cray pm_counters energy plugin reading plain files that
#   tests write ($RUN/alpha/pm_counters/{energy,power}). Site beta: 1 node (b100-01), 4 GPUs, no energy plugin.
# Every daemon runs in the foreground of a process whose PID is kept in $RUN/pids; down.sh ends them by PID.
# Writes $RUN/env.json (addresses, site profiles, key, known_hosts) for the tests. Needs: test/setup.sh.
# Facts this follows: /work/shared/notes/slurm-in-ci.md (file-backed fake GPUs, config_overrides, nsenter).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN="${FEDBENCH_TESTENV:-/tmp/fedbench-testenv}"
SITES=(alpha beta)
declare -A SUBNET=([alpha]=1 [beta]=2)
declare -A NODES=([alpha]="a100-01 a100-02" [beta]="b100-01")
HOST="$(hostname -s)"

log() { printf 'testenv: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (it creates network namespaces and starts daemons)"
for b in munged slurmctld slurmd slurmdbd mariadbd mariadb-install-db sshd ip nsenter unshare sacctmgr sbatch ssh-keygen; do
  command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || die "'$b' is not installed: run 'bash test/setup.sh' first"
done

# Leftovers of an earlier run (daemons, namespaces, veths) go first.
bash "$HERE/down.sh" >/dev/null 2>&1 || true
mkdir -p "$RUN/pids" "$RUN/ssh"

# Starts a long-running foreground command in the background and keeps its PID.
start() { # name command...
  local name="$1"; shift
  "$@" >"$RUN/pids/$name.out" 2>&1 &
  echo $! >"$RUN/pids/$name.pid"
}

wait_for() { # description seconds command...
  local what="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up within ${secs}s (logs in $RUN)"
    sleep 0.2
  done
}

# ---------- munge (one daemon serves every site: its socket is a file, shared by the namespaces)
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge /var/lib/munge
[ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey --create >/dev/null
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  start munged runuser -u munge -- /usr/sbin/munged -F
  wait_for munge 10 sh -c 'munge -n | unmunge'
fi

# ---------- MariaDB + slurmdbd on the host (TCP on 127.0.0.1; slurmctlds reach slurmdbd over their veth)
DB="$RUN/db"
mkdir -p "$DB"
mariadb-install-db --no-defaults --datadir="$DB/data" --auth-root-authentication-method=socket >"$DB/install.log" 2>&1 || die "mariadb-install-db failed (see $DB/install.log)"
chown -R mysql:mysql "$DB"
start mariadb /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$DB/data" --socket="$DB/mysqld.sock" \
  --bind-address=127.0.0.1 --port=3307 --pid-file="$DB/mariadb.pid" --skip-log-bin --innodb-buffer-pool-size=32M
wait_for mariadb 30 mariadb --no-defaults --socket="$DB/mysqld.sock" -e 'select 1'
mariadb --no-defaults --socket="$DB/mysqld.sock" -e "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'fedbench-test';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"

mkdir -p "$RUN/dbd"
cat >"$RUN/dbd/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=$HOST
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3307
StorageUser=slurm
StoragePass=fedbench-test
StorageLoc=slurm_acct_db
PidFile=$RUN/dbd/slurmdbd.pid
LogFile=$RUN/dbd/slurmdbd.log
DebugLevel=info
EOF
chmod 600 "$RUN/dbd/slurmdbd.conf"
touch "$RUN/dbd/slurm.conf" # slurmdbd reads slurmdbd.conf from the folder of $SLURM_CONF
start slurmdbd env SLURM_CONF="$RUN/dbd/slurm.conf" /usr/sbin/slurmdbd -D
wait_for slurmdbd 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/6819"

# ---------- client key, loopback sshd (127.0.0.1:2222)
ssh-keygen -q -t ed25519 -N '' -C fedbench-test -f "$RUN/ssh/id_ed25519"
cp "$RUN/ssh/id_ed25519.pub" "$RUN/ssh/authorized_keys"
: >"$RUN/ssh/known_hosts"
mkdir -p /run/sshd

# ---------- certificate authorities: the platform's user CA and the sites' host CA; a user certificate for root
CA="$RUN/ca"
mkdir -p "$CA"
ssh-keygen -q -t ed25519 -N '' -C fedbench-test-user-ca -f "$CA/user_ca"
ssh-keygen -q -t ed25519 -N '' -C fedbench-test-host-ca -f "$CA/host_ca"
ssh-keygen -q -t ed25519 -N '' -C fedbench-cert-user -f "$RUN/ssh/id_cert"
ssh-keygen -q -s "$CA/user_ca" -I fedbench-test-user -n root -V -5m:+12h "$RUN/ssh/id_cert.pub"
: >"$RUN/ssh/known_hosts_ca"

# What every test sshd shares: where it listens, no passwords, SFTP, the site's Slurm, room for many sessions.
sshd_common() { # listen-address port slurm-conf
  cat <<EOF
ListenAddress $1
Port $2
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
SetEnv SLURM_CONF=$3
MaxSessions 64
MaxStartups 64:30:128
ClientAliveInterval 30
EOF
}

# Plain keys: the client key in authorized_keys, a plain host key.
sshd_config() { # dir listen-address port slurm-conf
  ssh-keygen -q -t ed25519 -N '' -f "$1/ssh_host_ed25519_key"
  { printf 'HostKey %s\nPidFile %s\nAuthorizedKeysFile %s\n' "$1/ssh_host_ed25519_key" "$1/sshd.pid" "$RUN/ssh/authorized_keys"
    sshd_common "$2" "$3" "$4"; } >"$1/sshd_config"
}

# Certificates only: users signed by the user CA (no authorized_keys at all), a host certificate from the host CA.
cert_sshd_config() { # dir listen-address port slurm-conf
  ssh-keygen -q -t ed25519 -N '' -f "$1/ssh_cert_host_key"
  ssh-keygen -q -s "$CA/host_ca" -I "fedbench-test-host-$2" -h -n "$2" -V -5m:+2d "$1/ssh_cert_host_key.pub"
  { printf 'HostKey %s\nHostCertificate %s\nPidFile %s\nTrustedUserCAKeys %s\nAuthorizedKeysFile none\n' \
      "$1/ssh_cert_host_key" "$1/ssh_cert_host_key-cert.pub" "$1/sshd-cert.pid" "$CA/user_ca.pub"
    sshd_common "$2" "$3" "$4"; } >"$1/sshd_cert_config"
}

# ---------- the two sites
for site in "${SITES[@]}"; do
  n="${SUBNET[$site]}"
  S="$RUN/$site"
  mkdir -p "$S"/{state,spool,log,fakegpu,pm_counters,work}
  for g in 0 1 2 3; do ln -sf /dev/null "$S/fakegpu/nvidia$g"; done
  nodes=(${NODES[$site]})

  # network namespace with a veth pair: 10.200.n.1 here, 10.200.n.2 in the site
  ip netns add "fb-$site"
  ip link add "fbh$n" type veth peer name "fbs$n"
  ip link set "fbs$n" netns "fb-$site"
  ip addr add "10.200.$n.1/24" dev "fbh$n"
  ip link set "fbh$n" up
  ip -n "fb-$site" addr add "10.200.$n.2/24" dev "fbs$n"
  ip -n "fb-$site" link set "fbs$n" up
  ip -n "fb-$site" link set lo up
  ip -n "fb-$site" route add default via "10.200.$n.1"

  energy="acct_gather_energy/none"
  [ "$site" = alpha ] && energy="acct_gather_energy/pm_counters"
  {
    cat <<EOF
ClusterName=$site
SlurmctldHost=$HOST(10.200.$n.2)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmdParameters=config_overrides
GresTypes=gpu
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=energy=1,task=1
AcctGatherEnergyType=$energy
AcctGatherNodeFreq=1
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=10.200.$n.1
AccountingStoragePort=6819
AccountingStorageTRES=gres/gpu,gres/gpu:a100
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
DependencyParameters=kill_invalid_depend
ReturnToService=2
MaxArraySize=20
MinJobAge=600
KillWait=5
MpiDefault=none
EOF
    port=6818
    for node in "${nodes[@]}"; do
      echo "NodeName=$node NodeHostname=$HOST NodeAddr=10.200.$n.2 Port=$port CPUs=8 RealMemory=16000 Gres=gpu:a100:4 State=UNKNOWN"
      port=$((port + 3))
    done
    echo "PartitionName=gpu Nodes=$(IFS=,; echo "${nodes[*]}") Default=YES MaxTime=INFINITE State=UP"
  } >"$S/slurm.conf"
  echo "NodeName=$(IFS=,; echo "${nodes[*]}") Name=gpu Type=a100 File=$S/fakegpu/nvidia[0-3]" >"$S/gres.conf"
  printf '1000 J\n' >"$S/pm_counters/energy"
  printf '100 W\n' >"$S/pm_counters/power"

  SLURM_CONF="$S/slurm.conf" sacctmgr -i add cluster "$site" >/dev/null

  NET=(nsenter "--net=/run/netns/fb-$site")
  start "$site-slurmctld" "${NET[@]}" /usr/sbin/slurmctld -D -f "$S/slurm.conf"
  for node in "${nodes[@]}"; do
    # slurmd sees /sys/cray/pm_counters as plain files the tests write: a private mount namespace in which /sys
    # is rebuilt from the real one plus that folder (the HPE/Cray plugin reads energy/power there).
    start "$site-slurmd-$node" "${NET[@]}" unshare -m --propagation private bash -c '
      set -e
      mkdir -p "$1/sysroot" && mount --rbind /sys "$1/sysroot"
      mount -t tmpfs -o mode=0755 fedbench-sys /sys
      for d in "$1"/sysroot/*; do b=$(basename "$d"); mkdir -p "/sys/$b"; mount --rbind "$d" "/sys/$b"; done
      mkdir -p /sys/cray/pm_counters && mount --bind "$1/pm_counters" /sys/cray/pm_counters
      exec /usr/sbin/slurmd -D -f "$1/slurm.conf" -N "$2"' slurmd "$S" "$node"
  done

  sshd_config "$S" "10.200.$n.2" 22 "$S/slurm.conf"
  start "$site-sshd" "${NET[@]}" /usr/sbin/sshd -D -e -f "$S/sshd_config"
  echo "10.200.$n.2 $(cut -d' ' -f1,2 "$S/ssh_host_ed25519_key.pub")" >>"$RUN/ssh/known_hosts"

  cert_sshd_config "$S" "10.200.$n.2" 2022 "$S/slurm.conf"
  start "$site-sshd-cert" "${NET[@]}" /usr/sbin/sshd -D -E "$S/sshd-cert.log" -f "$S/sshd_cert_config"
  echo "@cert-authority [10.200.$n.2]:2022 $(cut -d' ' -f1,2 "$CA/host_ca.pub")" >>"$RUN/ssh/known_hosts_ca"
done

mkdir -p "$RUN/loop"
sshd_config "$RUN/loop" 127.0.0.1 2222 "$RUN/alpha/slurm.conf"
start loop-sshd /usr/sbin/sshd -D -e -f "$RUN/loop/sshd_config"
echo "[127.0.0.1]:2222 $(cut -d' ' -f1,2 "$RUN/loop/ssh_host_ed25519_key.pub")" >>"$RUN/ssh/known_hosts"

# ---------- ready: every node idle, every sshd answering
for site in "${SITES[@]}"; do
  n="${SUBNET[$site]}"
  count=$(wc -w <<<"${NODES[$site]}")
  wait_for "site $site (nodes idle)" 60 bash -c "[ \"\$(SLURM_CONF=$RUN/$site/slurm.conf sinfo -h -N -t idle -o %N | sort -u | wc -l)\" = $count ]"
  wait_for "site $site sshd" 10 bash -c "exec 3<>/dev/tcp/10.200.$n.2/22"
  wait_for "site $site certificate-only sshd" 10 bash -c "exec 3<>/dev/tcp/10.200.$n.2/2022"
done
wait_for "loopback sshd" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/2222"

# ---------- site profiles for fedbench: jobs run this checkout's built CLI (dist/cli/main.js) with this node
for site in "${SITES[@]}"; do
  n="${SUBNET[$site]}"
  mkdir -p "$RUN/sites"
  cat >"$RUN/sites/$site.yaml" <<EOF
# Generated by slurm/testenv/up.sh: test site '$site' (network namespace fb-$site).
name: $site
description: fedbench test site $site (count-only A100s, Slurm 22.05 in a network namespace)
ssh:
  host: 10.200.$n.2
  port: 22
  user: root
  identityFile: $RUN/ssh/id_ed25519
  knownHosts: $RUN/ssh/known_hosts
  connectTimeoutSeconds: 10
scheduler:
  partition: gpu
  timeLimit: "00:10:00"
  gpus: { style: $([ "$site" = alpha ] && echo gres || echo gpus), type: a100, perJob: 1 }
  cpusPerGpu: 1
  memory: 1G
env:
  FEDBENCH_TEST_SITE: $site
workdir: $RUN/$site/work
fedbench:
  command: [$(command -v node), $REPO/dist/cli/main.js]
facts:
  gpu: { model: NVIDIA A100-SXM4-40GB (count-only test GPU), perNode: 4, memoryGiB: 40 }
  peak: { fp32TFlops: 19.5, fp16TensorTFlops: 312, hbmGBs: 1555, tdpWatts: 400 }
  nodeHourCost: $([ "$site" = alpha ] && echo 4.0 || echo 3.0)
  currency: EUR
  energyPricePerKWh: 0.2
  carbonGPerKWh: $([ "$site" = alpha ] && echo 120 || echo 250)
EOF
done

node -e '
  const [run, host] = process.argv.slice(1);
  const env = {
    run, host,
    key: `${run}/ssh/id_ed25519`,
    knownHosts: `${run}/ssh/known_hosts`,
    loopback: { host: "127.0.0.1", port: 2222, slurmConf: `${run}/alpha/slurm.conf` },
    cert: { port: 2022, userCa: `${run}/ca/user_ca`, hostCa: `${run}/ca/host_ca`, key: `${run}/ssh/id_cert`, knownHosts: `${run}/ssh/known_hosts_ca` },
    sites: Object.fromEntries(["alpha", "beta"].map((s, i) => [s, {
      address: `10.200.${i + 1}.2`, dir: `${run}/${s}`, profile: `${run}/sites/${s}.yaml`, slurmConf: `${run}/${s}/slurm.conf`,
      pmCounters: `${run}/${s}/pm_counters`, certSshdLog: `${run}/${s}/sshd-cert.log`, sshdPid: Number(require("fs").readFileSync(`${run}/pids/${s}-sshd.pid`, "utf8")),
    }])),
  };
  require("fs").writeFileSync(`${run}/env.json`, JSON.stringify(env, null, 2));
' "$RUN" "$HOST"
log "up: sites alpha (10.200.1.2) and beta (10.200.2.2) (certificate-only sshd on :2022), loopback sshd 127.0.0.1:2222; $RUN/env.json"
