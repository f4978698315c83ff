#!/usr/bin/env bash
# The C library as a user gets it: `make install PREFIX=…` into a fresh folder, then the README's C
# example compiled against that installed copy through `pkg-config --cflags --libs sentiment`
# (shared, with the versioned soname) and against libsentiment.a, and run on the installed model;
# and the installed CLI, run from another directory without --model, finds that model.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=build/test-artifacts/lib-install
rm -rf "$work" && mkdir -p "$work"
prefix=$(pwd)/$work/prefix
fail() { echo "FAIL: $*"; exit 1; }

make -s install PREFIX="$prefix" >/dev/null
for f in bin/sentiment include/sentiment/sentiment.h lib/libsentiment.a lib/libsentiment.so lib/pkgconfig/sentiment.pc \
         share/movie-sentiment/sentiment.smf share/movie-sentiment/vocab.txt; do
    [ -e "$prefix/$f" ] || fail "make install did not write $f"
done
soname=$(readelf -d "$prefix/lib/libsentiment.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ "$soname" =~ ^libsentiment\.so\.[0-9]+$ ]] || fail "shared library soname is '$soname'"
[ -e "$prefix/lib/$soname" ] || fail "no $soname link in lib/"
echo "ok - installed under PREFIX, soname $soname"

# The example is the README's own, between its c-example markers, so the documented code is what runs.
sed -n '/<!-- c-example:begin/,/<!-- c-example:end -->/p' README.md | sed '1,/^```c$/d;/^```$/,$d' > "$work/review.c"
grep -q 'sent_classify' "$work/review.c" || fail "README has no C example between <!-- c-example:begin/end --> markers"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
version=$(pkg-config --modversion sentiment)
[ "$version" = "$("$prefix/bin/sentiment" version | awk '{print $2}')" ] || fail "sentiment.pc version $version differs from the CLI's"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "$work/review.c" $(pkg-config --cflags --libs sentiment) -Wl,-rpath,"$prefix/lib" \
    -o "$work/review-shared"
readelf -d "$work/review-shared" | grep -q "NEEDED.*\[$soname\]" || fail "the example is not linked to $soname"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "$work/review.c" $(pkg-config --cflags sentiment) "$prefix/lib/libsentiment.a" \
    $(pkg-config --libs-only-other --static sentiment | sed 's/-L[^ ]*//g') -lm -o "$work/review-static"
readelf -d "$work/review-static" | grep -q "libsentiment" && fail "the static example still needs libsentiment.so"
echo "ok - the README's C example builds through pkg-config (shared and static)"

model="$prefix/share/movie-sentiment/sentiment.smf"
for kind in shared static; do
    pos=$("$work/review-$kind" "$model" "A wonderful, moving film with superb acting. I loved every minute of it.")
    neg=$("$work/review-$kind" "$model" "Dull, badly acted and far too long. A complete waste of two hours.")
    [[ "$pos" == Positive* ]] || fail "$kind: positive review gave '$pos'"
    [[ "$neg" == Negative* ]] || fail "$kind: negative review gave '$neg'"
    if "$work/review-$kind" "$work/no-such-model.smf" "text" 2>"$work/err.txt"; then fail "$kind: a missing model succeeded"; fi
    grep -qi "no-such-model" "$work/err.txt" || fail "$kind: a missing model's error does not name the file: $(cat "$work/err.txt")"
    echo "ok - $kind build classifies ('$pos' / '$neg') and reports a missing model"
done

# The installed CLI from elsewhere, no --model, no SENTIMENT_MODEL: PREFIX/share/movie-sentiment.
answer=$(cd /tmp && env -u SENTIMENT_MODEL "$prefix/bin/sentiment" classify --text "A wonderful, moving film. I loved it.")
[[ "$answer" == '{"label":"Positive","positive":'* ]] || fail "the installed CLI run from /tmp answered '$answer'"
ids=$(cd /tmp && echo "The movie was GREAT!" | "$prefix/bin/sentiment" tokenize)
[ "$ids" = "101 1996 3185 2001 2307 999 102" ] || fail "the installed CLI's tokenize from /tmp gave '$ids'"
echo "ok - the installed CLI finds its model and vocab from another directory ('${answer:0:40}...')"
