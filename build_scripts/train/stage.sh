# Sourced by the training scripts: `stage DIR MODE ARGS...` runs one resumable training stage.
# A finished stage has the log line "done:" (nothing to do), a started one a checkpoint (resumed
# exactly), otherwise it starts `build/sentiment train MODE ARGS --out-dir DIR`. THREADS is read
# from the caller; the trainer's log goes to DIR/train.log.
stage() {
    local dir=$1; shift
    if [ -f "$dir/train.log" ] && grep -q "^done:" "$dir/train.log"; then
        echo "$dir: finished"
    elif [ -f "$dir/checkpoint.bin" ]; then
        build/sentiment train resume --out-dir "$dir" --threads "$THREADS" 2>>"$dir/train.log"
    else
        mkdir -p "$dir"
        build/sentiment train "$@" --out-dir "$dir" --threads "$THREADS" 2>>"$dir/train.log"
    fi
}
