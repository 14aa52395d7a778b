#!/bin/sh
# Validation gate of blog-publishing.json: refuses a page id the CMS could
# never resolve before three reviewers spend a minute on it.
#
# Input: the page id as $1 (also $BRAID_PAGE_ID; the input object on stdin).
# Output: the Braid result protocol as the last line of stdout.
set -eu

# Drain the input object so the engine's write never meets a closed pipe.
[ -t 0 ] || cat >/dev/null

page_id=${1:-${BRAID_PAGE_ID:-}}

fail() {
  printf '{"outputs": {"validation_passed": false}, "approved": false, "errors": ["%s"]}\n' "$1"
  exit 1
}

[ -n "$page_id" ] || fail "page_id is empty"
[ "${#page_id}" -le 64 ] || fail "page_id is longer than 64 characters"
case $page_id in
  *[!A-Za-z0-9_-]*) fail "page_id may only contain letters, digits, - and _" ;;
esac

echo '{"outputs": {"validation_passed": true}, "score": 100, "approved": true}'
