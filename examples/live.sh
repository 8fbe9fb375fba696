#!/usr/bin/env bash
# Live streaming: a streamer goes live, a viewer finds the stream, watches, gifts and follows, the stream ends.
set -euo pipefail
STOA=${STOA:-http://127.0.0.1:5000}

# Both sign up on the web and log in for a JWT.
signup_and_login() { # name, phone
  curl -s "$STOA/user/signup" -H 'content-type: application/json' -o /dev/null \
    -d "{\"s_name\":\"$1\",\"s_email\":\"$1@example.com\",\"s_password\":\"$1 secret\",\"s_password_confirmation\":\"$1 secret\",\"s_phone\":\"$2\"}"
  curl -s "$STOA/user/login" -H 'content-type: application/json' -d "{\"s_name\":\"$1\",\"s_password\":\"$1 secret\"}" |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}
streamer=$(signup_and_login sam 13800000011)
viewer=$(signup_and_login vera 13800000012)

curl -s -w '\n' "$STOA/user/live" -H 'content-type: application/json' \
  -H "Authorization: JWT $streamer" -d '{"s_name":"sam"}'
#> {"message":"JSON received successfully","stream_id":1,"started_at":"…"}

curl -s -w '\n' "$STOA/user/search" -H 'content-type: application/json' -d '{"s_name":"SA"}'
#> [{"s_name":"sam","live":true}]
curl -s -w '\n' "$STOA/user/streams"
#> [{"s_name":"sam","live":true,"started_at":"…","elapsed_s":…,"i_people":0,"peak":0,"donated":0,"new_followers":0}]

# The viewer's page sends this heartbeat at least every 15 s while it plays.
curl -s -w '\n' "$STOA/user/watch" -H 'content-type: application/json' \
  -H "Authorization: JWT $viewer" -d '{"s_name":"sam"}'
#> {"s_name":"sam","i_people":1}
curl -s -w '\n' -X PUT "$STOA/user/money_follow" -H 'content-type: application/json' \
  -H "Authorization: JWT $viewer" -d '{"s_name":"sam","i_donate":5,"follow":true}'
#> {"s_name":"sam","i_follower":1,"i_donate":5}

curl -s -w '\n' "$STOA/user/current_people?s_name=sam"
#> {"s_name":"sam","i_people":1,"peak":1}
curl -s -w '\n' "$STOA/user/current_time?s_name=sam"
#> {"s_name":"sam","started_at":"…","elapsed_s":…}
curl -s -w '\n' "$STOA/user/alert" -H 'content-type: application/json' \
  -H "Authorization: JWT $streamer" -d '{"s_name":"sam"}'
#> {"alert":false,"elapsed_s":…,"message":"Live for 6 hours or less"}

curl -s -w '\n' "$STOA/user/end" -H 'content-type: application/json' \
  -H "Authorization: JWT $streamer" -d '{"s_name":"sam"}'
#> {"s_name":"sam","duration_s":…,"peak_people":1,"donated":5,"new_followers":1}
curl -s -w '\n' "$STOA/user/end" -H 'content-type: application/json' \
  -H "Authorization: JWT $streamer" -d '{"s_name":"sam"}'
#> {"Error":"Not live"}
curl -s -w '\n' "$STOA/user/ueinfo?s_name=sam"
#> {"s_name":"sam","i_follower":1,"i_donate":5,"time_streaming":…,"streams":1}
