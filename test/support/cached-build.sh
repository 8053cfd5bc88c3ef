# Sourced by the build scripts of test/pulumi-cli and test/pulumi-kubernetes,
# which cache what they build under a directory keyed by their pins.
#
#   exit_if_built ROOT BIN
#
# Prints BIN and exits the calling script when its `complete` function says
# the build is there. Otherwise takes ROOT's build lock, held until the
# calling script exits, and returns: one build at a time per cache root, and a
# second caller that waited finds the first one's build done.
exit_if_built() {
  local root="$1" bin="$2"
  if complete; then
    echo "$bin"
    exit 0
  fi
  mkdir -p "$root"
  exec 9>"$root/.lock"
  flock 9
  if complete; then
    echo "$bin"
    exit 0
  fi
}
