#!/bin/sh
# The author of agent-with-critic.json: writes a draft about the topic and,
# from round 2 on, revises it with what the critic recommended.
#
# Input: the topic as $1 and the round as $2; its own last draft in
# $BRAID_DRAFT and the critic's last recommendations (a JSON list) in
# $BRAID_REVIEW_RECOMMENDATIONS, both absent in round 1.
# Output: the Braid result protocol as the last line of stdout.
set -eu

[ -t 0 ] || cat >/dev/null

topic=${1:-}
round=${2:-1}
# Only plain characters may reach the JSON below.
case $topic in
  '' | *[!A-Za-z0-9\ .,-]*) topic="an unnamed topic" ;;
esac

# Revise the last draft (absent in round 1), one recommendation per round,
# as a careful author would.
draft=${BRAID_DRAFT:-"Why $topic matters (round $round)."}
case $draft in
  *[!A-Za-z0-9\ .,:\(\)-]*) draft="Why $topic matters." ;;
esac
case ${BRAID_REVIEW_RECOMMENDATIONS:-} in
  *example*) draft="$draft Example: a team that adopted $topic shipped twice as often." ;;
  *audience*) draft="For platform teams: $draft" ;;
esac

printf '{"outputs": {"draft": "%s"}}\n' "$draft"
