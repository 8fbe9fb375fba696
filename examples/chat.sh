#!/usr/bin/env bash
# Chat over HTTP: register, log in, post, read the history, upload an avatar.
set -euo pipefail
STOA=${STOA:-http://127.0.0.1:5000}

curl -s -w '\n' "$STOA/api/register" -H 'content-type: application/json' \
  -d '{"username":"alice","password":"correct horse"}'
#> {"type":"register_1","error":false,"message":"User registered successfully"}

login=$(curl -s "$STOA/api/login" -H 'content-type: application/json' \
  -d '{"username":"alice","password":"correct horse"}')
echo "$login"
#> {"type":"login_1","status":"success","token":"…","avatar":"/avatar/default/default_avatar.png"}
token=$(echo "$login" | sed -E 's/.*"token":"([0-9a-f]+)".*/\1/')

curl -s -w '\n' "$STOA/api/chat" -H 'content-type: application/json' \
  -H "Authorization: $token" -d '{"message":"hello"}'
#> {"type":"chat","status":"success"}

curl -s -w '\n' "$STOA/api/chat/history?limit=20" -H "Authorization: $token"
#> {"type":"history","status":"success","messages":[{"id":1,"user":"alice","message":"hello","avatar":"/avatar/default/default_avatar.png","at":"…"}]}

# A 1x1 PNG; any PNG or JPEG up to 2 MiB will do.
echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' | base64 -d > me.png
uploaded=$(curl -s "$STOA/api/avatar" -H "Authorization: $token" -F file=@me.png)
echo "$uploaded"
#> {"type":"avatar","status":"success","avatar":"/avatar/alice/….png"}
avatar=$(echo "$uploaded" | sed -E 's/.*"avatar":"([^"]+)".*/\1/')
curl -s -o /dev/null -w '%{http_code} %{content_type}\n' "$STOA$avatar"
#> 200 image/png
