#!/usr/bin/env bash
# Study timer: register a student, get a token with HTTP Basic, start and stop a session, list them.
set -euo pipefail
STOA=${STOA:-http://127.0.0.1:5000}
API=$STOA/api/v1.0

# With the default STUDENT_VERIFIER=none any 9- or 10-digit student id is accepted.
registered=$(curl -s "$API/register" -H 'content-type: application/json' \
  -d '{"username":"dora","password":"dora secret","stu_id":"2019123456","stu_pwd":"school password"}')
echo "$registered"
#> {"username":"dora","url":"…/api/v1.0/users/…","studys":"…/api/v1.0/users/…/studys/","member_since":"…","last_seen":"…"}
user=$(echo "$registered" | sed -E 's/.*"url":"([^"]+)".*/\1/')

# Everything else takes HTTP Basic: name (or e-mail) and password, or the token as the name.
answer=$(curl -s -u 'dora:dora secret' "$API/token")
echo "$answer"
#> {"token":"…","expiration":3600}
token=$(echo "$answer" | sed -E 's/.*"token":"([^"]+)".*/\1/')

started=$(curl -s -u "$token:" -X POST "$API/studys/")
echo "$started"
#> {"id":…,"url":"…/api/v1.0/studys/…","creator":"…/api/v1.0/users/…","start_time":"…","end_time":null}
study=$(echo "$started" | sed -E 's/.*"url":"([^"]+)".*/\1/')

curl -s -w '\n' -u "$token:" -X PUT "$study"
#> {"id":…,"url":"…/api/v1.0/studys/…","creator":"…/api/v1.0/users/…","start_time":"…","end_time":"…"}

# Your own sessions, newest first, 20 a page; next and prev are page URLs or null.
curl -s -w '\n' -u "$token:" "$API/studys/?page=1"
#> {"count":1,"next":null,"prev":null,"studys":[{"id":…,"url":"…/api/v1.0/studys/…","creator":"…/api/v1.0/users/…","start_time":"…","end_time":"…"}]}

curl -s -w '\n' -u "$token:" "$user"
#> {"username":"dora","url":"…/api/v1.0/users/…","studys":"…/api/v1.0/users/…/studys/","member_since":"…","last_seen":"…"}

# Without credentials (or with a bad token) the answer is 401.
curl -s -w ' %{http_code}\n' "$API/studys/"
#> {"error":"unauthorized","message":"Invalid credentials"} 401
