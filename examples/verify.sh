#!/usr/bin/env bash
# Verification: iHome sign-up by captcha, SMS code and session cookie; dadashop sign-up by SMS code.
set -euo pipefail
STOA=${STOA:-http://127.0.0.1:5000}

# iHome. A captcha under an id you choose; solving it lets you ask for an SMS code.
id=readme-1
curl -s -o captcha.png -w '%{http_code} %{content_type}\n' "$STOA/api/v1.0/image_codes/$id"
#> 200 image/png
printf 'Characters in captcha.png (captcha %s): ' "$id" >&2
read -r text

# With the default SMS_PROVIDER=console the code shows up in the server log.
phone=13800138000
curl -s -w '\n' "$STOA/api/v1.0/sms_codes/$phone?image_code_id=$id&image_code_text=$text"
#> {"errcode":"0","errmsg":"发送成功"}
printf 'SMS code sent to %s: ' "$phone" >&2
read -r code

# Registering logs you in: the session cookie goes to the cookie jar cookies.txt.
curl -s -w '\n' -c cookies.txt "$STOA/api/v1.0/users" -H 'content-type: application/json' \
  -d '{"mobile":"'"$phone"'","sms_code":"'"$code"'","password":"ihome secret","password2":"ihome secret"}'
#> {"errcode":"0","errmsg":"注册成功","data":{"user_id":…,"name":"13800138000"}}
curl -s -w '\n' -b cookies.txt "$STOA/api/v1.0/session"
#> {"errcode":"0","errmsg":"true","data":{"name":"13800138000","user_id":…}}
curl -s -w '\n' -b cookies.txt -c cookies.txt -X DELETE "$STOA/api/v1.0/session"
#> {"errcode":"0","errmsg":"OK"}
curl -s -w '\n' -b cookies.txt "$STOA/api/v1.0/session"
#> {"errcode":"4101","errmsg":"false"}
curl -s -w '\n' -c cookies.txt "$STOA/api/v1.0/sessions" -H 'content-type: application/json' \
  -d '{"mobile":"'"$phone"'","password":"ihome secret"}'
#> {"errcode":"0","errmsg":"登录成功"}

# dadashop. No captcha here; one code per phone every 180 s.
phone=13900139000
curl -s -w '\n' "$STOA/v1/users/sms/code" -H 'content-type: application/json' -d '{"phone":"'"$phone"'"}'
#> {"code":200,"data":"發送成功"}
printf 'SMS code sent to %s: ' "$phone" >&2
read -r code

# The answer carries a JWT for the Authorization header. An activation mail
# (GET /v1/users/activation?code=…) goes out too; without SMTP_URL it is only noted in the log.
curl -s -w '\n' "$STOA/v1/users" -H 'content-type: application/json' \
  -d '{"uname":"erin","password":"erin secret","phone":"'"$phone"'","email":"erin@example.com","verify":"'"$code"'"}'
#> {"code":200,"username":"erin","data":{"token":"…"},"carts_count":0}
