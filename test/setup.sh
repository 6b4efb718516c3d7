#!/usr/bin/env bash
# Sets up a fresh Debian machine for the tests: system packages the tests talk to for real, then the
# npm dependencies. Safe to run again. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Debian packages: Chromium for the report's browser test (driven by playwright-core; no browser download);
# munge, Slurm (controller, node daemon, client, slurmdbd with MariaDB), OpenSSH's sshd and iproute2 for the
# federation tests, which bring up two Slurm sites in network namespaces (slurm/testenv/up.sh); PostgreSQL for the
# results database's tests against a real server (test/db/pgserver.ts starts a private cluster with initdb); util-linux
# (setsid) and procps (ps) for the command workload's tests of processes a program leaves behind; openssl for the
# server's TLS test; PyTorch (CPU build; torch.distributed over gloo) for the pytorch
# suite's CPU-sized cases and the comm and scaling suites; Open MPI and mpi4py for the comm suite's MPI cases.
packages=(chromium fonts-dejavu-core munge slurmctld slurmd slurm-client slurmdbd mariadb-server openssh-server openssl iproute2 util-linux procps postgresql python3-torch openmpi-bin python3-mpi4py)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# onnxruntime-node must not download CUDA providers here (no network beyond the package registries).
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
