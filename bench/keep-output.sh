# Sourced by the bench/ scripts from the project's root: the script's whole output, stack traces
# and the embedded services' logs included, goes to target/bench-<script>.log; the figures the
# script prints are filtered from it.
mkdir -p target
log="$PWD/target/bench-$(basename "$0").log"
echo "full output: $log"
