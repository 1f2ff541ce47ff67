#!/usr/bin/env bash
# Terraform-side toolchain, idempotent: terraform or tofu, the hashicorp/aws provider in a
# filesystem mirror, a CLI config that uses only that mirror, tflint, terraform-docs,
# checkov and moto. Uses what the machine already carries; builds or installs only what is
# missing (Go module proxy for Go tools, PyPI for Python tools).
#
#   TOOLS_BIN   where binaries go (default $HOME/.cache/team-gateway/bin)
#   CACHE_DIR   cache root (default $HOME/.cache/team-gateway)
#   TG_BUILD_TOFU=0   skip building OpenTofu when terraform is present (default: build it,
#                     the module is checked with both; scripts/tf-check.sh fails in CI without it)
#
# Writes $CACHE_DIR/terraform.rc; scripts/tf-check.sh and scripts/go-test.sh export it as
# TF_CLI_CONFIG_FILE.
set -euo pipefail

source "$(dirname "$0")/lib.sh"

# Pinned versions (OPENTOFU_VERSION, TFLINT_VERSION, ...) come from scripts/versions.env.
# terraform-provider-aws's go.mod has no /v5 suffix, so a 5.x release is reachable through
# the Go module proxy only as a pseudo-version of its release commit. Set this to one
# (v0.0.0-<date>-<commit>) to build the provider when no mirror has it.
AWS_PROVIDER_GO_VERSION="${AWS_PROVIDER_GO_VERSION:-}"

MIRROR="$CACHE_DIR/tf-mirror"
CLI_CONFIG="$CACHE_DIR/terraform.rc"
OS_ARCH="$(go env GOOS 2>/dev/null || echo linux)_$(go env GOARCH 2>/dev/null || echo amd64)"

log() { echo "tools-terraform: $*"; }
elapsed() { echo "$(($(date +%s) - $1))s"; }

# build_go_tool NAME MODULE VERSION PACKAGE
# Builds PACKAGE (a main package of MODULE) into $TOOLS_BIN/NAME through a small tools
# module that requires MODULE@VERSION and carries MODULE's own replace directives and
# go.sum: `go install mod@version` refuses modules whose go.mod has replace directives.
build_go_tool() {
  local name="$1" mod="$2" ver="$3" pkg="$4"
  local dir="$CACHE_DIR/tools-src/$name-$ver" t0
  t0=$(date +%s)
  have go || { log "go is required to build $name"; return 1; }
  mkdir -p "$dir"
  local info gomod srcdir
  info="$(go mod download -json "$mod@$ver")"
  gomod="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  srcdir="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  {
    echo "module gateway/tools/$name"
    echo
    grep -E '^go [0-9]' "$gomod"
    echo
    echo "require $mod $ver"
    echo
    # single-line and block replace directives, verbatim
    awk '/^replace \(/{b=1; print; next} b{print; if ($0 ~ /^\)/) b=0; next} /^replace /{print}' "$gomod"
  } >"$dir/go.mod"
  cp "$srcdir/go.sum" "$dir/go.sum" 2>/dev/null || : >"$dir/go.sum"
  chmod u+w "$dir/go.sum"
  printf 'package tools\n\nimport _ "%s"\n' "$pkg" >"$dir/tools.go"
  (cd "$dir" && GOFLAGS="$GOFLAGS -mod=mod" go mod tidy >/dev/null 2>&1 || true)
  (cd "$dir" && GOFLAGS="$GOFLAGS -mod=mod" CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$TOOLS_BIN/$name" "$pkg")
  log "built $name $ver from the Go module proxy in $(elapsed "$t0")"
}

# 1. terraform / tofu -------------------------------------------------------------------
need_tofu=0
if ! have terraform && ! have tofu; then need_tofu=1; fi
if [ "${TG_BUILD_TOFU:-1}" = 1 ] && ! have tofu; then need_tofu=1; fi
if [ "$need_tofu" = 1 ]; then
  log "building OpenTofu $OPENTOFU_VERSION from the Go module proxy (the module is checked with terraform and tofu)"
  build_go_tool tofu github.com/opentofu/opentofu "$OPENTOFU_VERSION" github.com/opentofu/opentofu/cmd/tofu
fi

# 2. hashicorp/aws in a filesystem mirror ------------------------------------------------
# Our mirror lists the provider under both registry host names, so terraform
# (registry.terraform.io) and tofu (registry.opentofu.org) resolve `hashicorp/aws` from it.
find_provider_dir() {
  local d
  for d in /opt/tf-plugins "$HOME/.terraform.d/plugins" /usr/share/terraform/plugins "$MIRROR.built"; do
    for host in registry.terraform.io registry.opentofu.org; do
      if [ -d "$d/$host/hashicorp/aws/$AWS_PROVIDER_VERSION/$OS_ARCH" ]; then
        echo "$d/$host/hashicorp/aws/$AWS_PROVIDER_VERSION/$OS_ARCH"
        return 0
      fi
    done
  done
  # any 5.x/6.x version the machine carries
  d="$(find /opt "$HOME/.terraform.d" -path "*/hashicorp/aws/*/$OS_ARCH" -type d 2>/dev/null | sort -V | tail -1)"
  [ -n "$d" ] && echo "$d"
}
provider_dir="$(find_provider_dir || true)"
if [ -z "$provider_dir" ]; then
  if [ -z "$AWS_PROVIDER_GO_VERSION" ]; then
    log "no hashicorp/aws provider found and AWS_PROVIDER_GO_VERSION is unset;"
    log "set it to the provider's release commit as a Go pseudo-version to build it"
    exit 1
  fi
  out="$MIRROR.built/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/$OS_ARCH"
  mkdir -p "$out"
  TOOLS_BIN="$out" build_go_tool "terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5" \
    github.com/hashicorp/terraform-provider-aws "$AWS_PROVIDER_GO_VERSION" github.com/hashicorp/terraform-provider-aws
  provider_dir="$out"
fi
provider_version="$(basename "$(dirname "$provider_dir")")"
for host in registry.terraform.io registry.opentofu.org; do
  dst="$MIRROR/$host/hashicorp/aws/$provider_version"
  mkdir -p "$dst"
  ln -sfn "$provider_dir" "$dst/$OS_ARCH"
done
cat >"$CLI_CONFIG.tmp" <<EOF
# Written by scripts/tools-terraform.sh: providers come only from this local mirror.
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"]
  }
}
disable_checkpoint = true
EOF
mv "$CLI_CONFIG.tmp" "$CLI_CONFIG"
log "provider hashicorp/aws $provider_version from $provider_dir; CLI config $CLI_CONFIG"

# 3. tflint and terraform-docs (Go module proxy) -----------------------------------------
have tflint || build_go_tool tflint github.com/terraform-linters/tflint "$TFLINT_VERSION" github.com/terraform-linters/tflint
have terraform-docs || build_go_tool terraform-docs github.com/terraform-docs/terraform-docs "$TERRAFORM_DOCS_VERSION" github.com/terraform-docs/terraform-docs
# The AWS ruleset plugin (github.com/terraform-linters/tflint-ruleset-aws) would be built the
# same way into $TFLINT_PLUGIN_DIR; the Go module proxy this project may use does not serve
# it, so .tflint.hcl enables the bundled terraform ruleset only.

# 4. checkov and moto (PyPI, each in its own virtualenv so their pins never collide) -----
pip_tool() {
  local name="$1" spec="$2" venv="$CACHE_DIR/venv-$1" t0
  shift 2
  t0=$(date +%s)
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$spec"
  for exe in "$@"; do ln -sfn "$venv/bin/$exe" "$TOOLS_BIN/$exe"; done
  log "installed $spec in $(elapsed "$t0")"
}
have checkov || pip_tool checkov "checkov==$CHECKOV_VERSION" checkov
have moto_server || pip_tool moto "moto[server]==$MOTO_VERSION" moto_server

log "done ($(for t in terraform tofu tflint terraform-docs checkov moto_server; do have $t && printf '%s ' $t; done))"
