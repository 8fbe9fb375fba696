#!/usr/bin/env bash
# Monitor: sign up on the web, ingest NF samples, read latest, averages and charts, see a CPU alert fire.
set -euo pipefail
STOA=${STOA:-http://127.0.0.1:5000}

curl -s -w '\n' "$STOA/user/signup" -H 'content-type: application/json' \
  -d '{"s_name":"olga","s_email":"olga@example.com","s_password":"olga secret","s_password_confirmation":"olga secret","s_phone":"13800000001"}'
#> {"message":"JSON received successfully"}

login=$(curl -s "$STOA/user/login" -H 'content-type: application/json' \
  -d '{"s_name":"olga","s_password":"olga secret"}')
echo "$login"
#> {"message":"Login successful","user_info":{"s_name":"olga","s_email":"olga@example.com","s_phone":"13800000001","access_level":0},"access_token":"…"}
jwt=$(echo "$login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

# What a log client sends every 10 s: all 15 keys, values as strings or numbers.
sample() { # NF name, CPU percent
  printf '{"dt_infotime":"%s","s_attemp":"3","s_cpu":"%s","s_disk":"61","s_diskin":"120","s_diskout":"80","s_error":"0","s_load":"0.5","s_loss":"0","s_memory":"55","s_nf":"%s","s_size":"1024","s_system":"linux","s_traffic":"300","s_transfer":"250"}' \
    "$(date -u '+%F %T')" "$2" "$1"
}

curl -s -w '\n' "$STOA/nfs/resource" -H 'content-type: application/json' -d "$(sample amf 40)"
#> {"message":"JSON received successfully"}
curl -s -w '\n' "$STOA/nfs/resource/batch" -H 'content-type: application/json' \
  -d "[$(sample amf 50),$(sample smf 20)]"
#> {"message":"JSON received successfully","count":2}

curl -s -w '\n' "$STOA/nfs/resource?s_nf=amf"
#> {"data":{"dt_infotime":"…","s_attemp":"3","s_cpu":"50","s_disk":"61","s_diskin":"120","s_diskout":"80","s_error":"0","s_load":"0.5","s_loss":"0","s_memory":"55","s_nf":"amf","s_size":"1024","s_system":"linux","s_traffic":"300","s_transfer":"250"}}
curl -s -w '\n' "$STOA/nfs/resource?s_nf=upf"
#> {"error":"No data for s_nf: upf"}

# Averages over the last 60 s, for every numeric field (shortened here after s_cpu).
curl -s -w '\n' "$STOA/nfs/resource/stats?s_nf=amf&window=60"
#> {"s_nf":"amf","window":60,"count":2,"fields":{"s_attemp":{"avg":3,"min":3,"max":3,"last":3},"s_cpu":{"avg":45,"min":40,"max":50,"last":50},…}}
# One chart point per hour over the last hour.
curl -s -w '\n' "$STOA/nfs/resource/series?s_nf=amf&field=s_cpu&step=3600"
#> [{"t":"…","avg":45,"min":40,"max":50}]
curl -s -w '\n' "$STOA/nfs/nodes"
#> {"nodes":[{"s_nf":"amf","first_seen_at":"…","last_received_at":"…","stale":false},{"s_nf":"smf","first_seen_at":"…","last_received_at":"…","stale":false}]}

curl -s -w '\n' "$STOA/nfs/alert-rules" -H "Authorization: JWT $jwt"
#> {"data":[{"name":"cpu_high","field":"s_cpu","window_s":60,"threshold":90,"clear_threshold":85,"for_s":0,"repeat_s":3600,"enabled":true}]}

# upf runs hot; the rules are evaluated every 10 s (ALERT_EVAL_INTERVAL_S), so the alert is in the history within that.
curl -s -w '\n' "$STOA/nfs/resource" -H 'content-type: application/json' -d "$(sample upf 95)"
#> {"message":"JSON received successfully"}
until curl -s "$STOA/nfs/alerts?s_nf=upf" | grep -q firing; do sleep 1; done
curl -s -w '\n' "$STOA/nfs/alerts?s_nf=upf&limit=5"
#> {"data":[{"id":1,"message":"High CPU Usage","average_cpu":95,"s_nf":"upf","state":"firing","rule":"cpu_high","at":"…","reminder":false}]}
