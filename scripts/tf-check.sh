#!/usr/bin/env bash
# Terraform checks behind `make validate`:
#   fmt -check -recursive; init -backend=false + validate on the root, every submodule and
#   every example; `terraform test` (tftest/*.tftest.hcl, mocked AWS provider); tflint;
#   checkov; terraform-docs in sync with docs/module.md and each submodule's README.md. With `tofu` on the PATH too, fmt,
#   validate and test run again with tofu.
# Prints one line per check and, last, exactly one line "N passed, M failed" counting every
# check (each terraform/tofu test run counts as one). Exits non-zero on any failure.
set -uo pipefail

source "$(dirname "$0")/lib.sh"
ROOT="$TG_ROOT"
cd "$ROOT"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
JOBS="${TF_CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tf-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s)

# Toolchain and CLI config (idempotent; about a second when everything is there).
if ! bash scripts/tools-terraform.sh >"$WORK/tools.log" 2>&1; then
  cat "$WORK/tools.log"
  echo "FAIL  toolchain (scripts/tools-terraform.sh)"
  echo "0 passed, 1 failed"
  exit 1
fi
export TF_CLI_CONFIG_FILE="$CACHE_DIR/terraform.rc"

# run_job ID TOOL KIND ARG: one check, run in the current directory; writes $WORK/ID.log
# and $WORK/ID.res ("<passed> <failed> <label>").
run_job() {
  local id="$1" tool="$2" kind="$3" arg="$4" log="$WORK/$1.log" p=0 f=0 label rc summary
  case "$kind" in
    fmt)
      label="$tool fmt -check -recursive"
      if "$tool" fmt -check -recursive -diff . >"$log" 2>&1; then p=1; else f=1; fi
      ;;
    validate)
      label="$tool init -backend=false + validate $arg"
      # -test-directory: init also installs the modules the test files call.
      if (cd "$arg" && "$tool" init -backend=false -input=false -no-color -test-directory=tftest >"$log" 2>&1 &&
        "$tool" validate -no-color >>"$log" 2>&1); then p=1; else f=1; fi
      ;;
    test)
      "$tool" test -no-color -test-directory=tftest -filter="$arg" >"$log" 2>&1
      rc=$?
      summary="$(grep -E '^(Success|Failure)! [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)"
      if [ -n "$summary" ]; then
        p="$(sed -E 's/^[A-Za-z]+! ([0-9]+) passed.*/\1/' <<<"$summary")"
        f="$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$summary")"
        # a skipped run did not pass either
        if grep -qE '[0-9]+ skipped' <<<"$summary"; then
          f=$((f + $(sed -E 's/^.* ([0-9]+) skipped.*/\1/' <<<"$summary")))
        fi
      else
        f=1
      fi
      if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
      label="$tool test $arg: $p passed, $f failed"
      ;;
    tflint)
      label="tflint --recursive"
      if tflint --recursive --config "$ROOT/.tflint.hcl" --format compact >"$log" 2>&1; then p=1; else f=1; fi
      ;;
    checkov)
      label="checkov --framework terraform"
      if BC_SKIP_MAPPING=TRUE CKV_GITHUB_CONFIG_FETCH_DATA=False checkov -d . --framework terraform \
        --skip-download --quiet --compact --skip-path '\.terraform' --skip-path authorizer \
        --skip-path test >"$log" 2>&1; then p=1; else f=1; fi
      ;;
    docs)
      label="terraform-docs output matches docs/module.md and modules/*/README.md"
      if terraform-docs --config .terraform-docs.yml --output-check . >"$log" 2>&1; then p=1; else f=1; fi
      for m in modules/*/; do
        terraform-docs --config .terraform-docs.yml --output-file README.md --output-check "$m" >>"$log" 2>&1 || { p=0; f=1; }
      done
      ;;
  esac
  echo "$p $f $label" >"$WORK/$id.res"
}
export -f run_job
export WORK ROOT

# run_phase SPEC...: each SPEC is "ID TOOL KIND ARG"; at most $JOBS at a time.
run_phase() {
  printf '%s\n' "$@" | xargs -P "$JOBS" -L 1 bash -c 'run_job "$@"' _
}

TOTAL_P=0
TOTAL_F=0
report() {
  local id res p f label
  for id in "$@"; do
    res="$(cat "$WORK/$id.res" 2>/dev/null || echo "0 1 $id did not run")"
    read -r p f label <<<"$res"
    TOTAL_P=$((TOTAL_P + p))
    TOTAL_F=$((TOTAL_F + f))
    if [ "$f" -eq 0 ]; then
      echo "ok    $label"
    else
      echo "FAIL  $label"
      tail -60 "$WORK/$id.log" 2>/dev/null | sed 's/^/      /'
    fi
  done
}

# check_with TOOL DIR: fmt, then init+validate of every configuration, then the test
# files, in DIR.
check_with() {
  local tool="$1" dir="$2" i d t
  local -a specs=() ids=()
  pushd "$dir" >/dev/null || return
  local -a dirs=(. modules/* examples/*) tests=(tftest/*.tftest.hcl)
  specs=("$tool-fmt $tool fmt .")
  ids=("$tool-fmt")
  i=0
  for d in "${dirs[@]}"; do
    i=$((i + 1))
    specs+=("$tool-validate-$i $tool validate $d")
    ids+=("$tool-validate-$i")
  done
  run_phase "${specs[@]}"
  specs=()
  i=0
  for t in "${tests[@]}"; do
    i=$((i + 1))
    specs+=("$tool-test-$i $tool test $t")
    ids+=("$tool-test-$i")
  done
  run_phase "${specs[@]}"
  popd >/dev/null || return
  report "${ids[@]}"
}

TF_BINS=()
have terraform && TF_BINS+=(terraform)
have tofu && TF_BINS+=(tofu)
if [ "${#TF_BINS[@]}" -eq 0 ]; then
  echo "FAIL  neither terraform nor tofu is installed (make tools)"
  echo "0 passed, 1 failed"
  exit 1
fi
# The module supports both; in CI a missing one is a failure, not a quieter run.
if [ -n "${CI:-}" ] && [ "${#TF_BINS[@]}" -lt 2 ]; then
  echo "FAIL  CI checks with terraform and tofu, and only ${TF_BINS[*]} is installed (make tools builds tofu)"
  echo "0 passed, 1 failed"
  exit 1
fi

for tool in "${TF_BINS[@]}"; do
  if [ "$tool" = terraform ]; then
    check_with terraform "$ROOT"
  else
    # A copy of the module files, so tofu's lock file and .terraform never mix with terraform's.
    copy="$CACHE_DIR/tf-check-$tool"
    find "$copy" -mindepth 1 -maxdepth 1 ! -name .terraform -exec rm -rf {} + 2>/dev/null
    mkdir -p "$copy"
    tar -C "$ROOT" --exclude .git --exclude .terraform --exclude .terraform.lock.hcl \
      --exclude ./authorizer --exclude ./test --exclude ./dist --exclude '*.tfstate*' -cf - \
      main.tf variables.tf outputs.tf versions.tf modules examples tftest | tar -C "$copy" -xf -
    check_with "$tool" "$copy"
  fi
done

run_phase "lint tflint tflint ." "scan checkov checkov ." "docs docs docs ."
report lint scan docs

echo "tf-check: $(($(date +%s) - start))s with ${TF_BINS[*]}"
echo "$TOTAL_P passed, $TOTAL_F failed"
[ "$TOTAL_F" -eq 0 ]
