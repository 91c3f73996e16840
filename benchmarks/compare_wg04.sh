#!/usr/bin/env bash
# `medcomp compare` on the WG04 image MR2 (evaluation only), table committed beside it.
# Usage: bash benchmarks/compare_wg04.sh [codec ...]   (default: every available codec)
set -euo pipefail
cd "$(dirname "$0")/.."
MR2=$(.venv/bin/python -c 'from pydicom.data import get_testdata_file as g; print(g("MR2_UNCR.dcm"))')
CODECS=("$@")
{
  echo "# medcomp compare on WG04 MR2 (MR2_UNCR.dcm, pydicom-data)"
  echo
  echo "Command: \`bash benchmarks/compare_wg04.sh ${CODECS[*]:-}\` ="
  echo "\`medcomp compare MR2_UNCR.dcm${CODECS[*]:+ --codecs ${CODECS[*]}}\`"
  echo
  echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; $(date -u +%F)."
  echo "Bytes are whole .mcz files (payload + header + the embedded DICOM header)."
  echo
  .venv/bin/medcomp -q compare "$MR2" ${CODECS[@]:+--codecs "${CODECS[@]}"}
} > benchmarks/results/compare_MR2.md
cat benchmarks/results/compare_MR2.md
