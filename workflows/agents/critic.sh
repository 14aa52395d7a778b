#!/bin/sh
# The critic of agent-with-critic.json: approves a draft that names its
# audience and gives an example; otherwise says what is missing, which goes
# back to the writer through the revision loop.
#
# Input: the draft as $1.
# Output: the Braid result protocol as the last line of stdout.
set -eu

[ -t 0 ] || cat >/dev/null

draft=${1:-}
score=50
missing=""
case $draft in
  *Example:*) score=$((score + 25)) ;;
  *) missing="\"Add a concrete example: a reader should see it work.\"" ;;
esac
case $draft in
  For\ *) score=$((score + 20)) ;;
  *) missing="${missing:+$missing, }\"Name the audience in the first sentence.\"" ;;
esac

if [ -z "$missing" ]; then
  echo "{\"score\": $score, \"approved\": true, \"recommendations\": [\"Ship it; consider a shorter title.\"]}"
else
  echo "{\"score\": $score, \"approved\": false, \"recommendations\": [$missing]}"
fi
