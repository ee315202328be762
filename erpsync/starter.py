"""The annotated configuration ``erpsync init`` writes. Kept valid: a test loads it."""

STARTER_CONFIG = """\
# erpsync configuration. Values like ${NAME} are read from the environment, so secrets
# stay out of this file; ${NAME:-default} gives a default. Relative paths are relative
# to this file. `erpsync check` validates it and tests every connection.
#
# First time? Try it on the local sandbox before your shop: `erpsync sandbox serve` prints a
# complete config for itself (its URL, demo credentials demo-app-key / demo-app-secret, shop
# 7495000000000000001, a fixed demo-access-token); save that instead of this file.
# Example configs for other set-ups (one shop, a TSP agency, pickup regions) are in config/.

# Where erpsync keeps its state (drifts, ledger, run history, leases) and the shops' OAuth
# tokens: the SQLite file state.db in this folder, created 0700 / 0600 (operator only); existing ones
# keep their mode. Tokens are encrypted when ERPSYNC_SECRET_KEYS holds a key (`erpsync secrets new-key`,
# then `erpsync secrets rotate`; docs/secrets.md), else stored in plain text.
data_dir = ".erpsync"

# The language of reports and alerts: "en" (English) or "zh" (中文, in Seller Center's terms).
# `erpsync reconcile --lang` overrides it for one run.
# lang = "zh"

# The most one shop may take in a run, every network call included (default 1800 s = 30 min).
# A shop whose server stalls stops there with an error naming the shop, and the next shop runs.
# A shop's table may set its own: time_budget_seconds = 600.
# shop_time_budget_seconds = 1800

# How many shops one run reconciles side by side (default 8; 1 runs them one after another).
# The platform limits calls per app, shop and API, so shops overlap without slowing each other.
# concurrency = 8

[state]
# Empty: an SQLite file in data_dir. PostgreSQL: "postgresql+psycopg://user@host/erpsync"
# (pip install 'erpsync[postgres]').
url = ""

# One [[shops]] table per shop. A TSP agency lists every merchant's shop here.
[[shops]]
name = "my-shop"                 # what --shop takes; letters, digits, - _ .
# time_budget_seconds = 600      # this shop's own time budget (see shop_time_budget_seconds)
# aspects = ["warehouse_address", "pickup"]   # default: every registered aspect

[shops.seller]                   # the seller backend: TikTok Shop's Open API
type = "tiktok"
# base_url = "https://open-api.tiktokglobalshop.com"   # the default; the sandbox: "http://127.0.0.1:8765"
# auth_base_url = "https://auth.tiktok-shops.com"      # token calls; unset: this default for TikTok's
#                                  # base_url, base_url itself for any other (the sandbox serves both)
app_key = "${TTS_APP_KEY}"
app_secret = "${TTS_APP_SECRET}"
shop_id = "${TTS_SHOP_ID}"       # the shop's id from the authorised-shops list
# Tokens: either authorise once and let erpsync keep and refresh them in its state store (data_dir)
#   erpsync auth url --shop my-shop        (open the link as the seller, copy the code)
#   erpsync auth exchange CODE --shop my-shop
#   erpsync auth status
# which needs your app's service id from Partner Center (uncomment):
# service_id = "${TTS_SERVICE_ID}"
# or give a fixed access token (never refreshed):
# access_token = "${TTS_ACCESS_TOKEN}"
# rate_limit_qps = 45            # calls/s per API for this shop (the default); the Open API allows 50,
#                                  # and the margin absorbs network jitter, so no call is refused (429)
# concurrency = 8                # this shop's calls in flight at once (package details, orders, slots)

[shops.erp]                      # the ERP; `erpsync plugins` lists the types installed
type = "files"
path = "erp"                     # a folder with warehouses.csv (or warehouses.json)
# warehouses.csv: UTF-8, this header row, one warehouse a row (JSON: a list of objects, same keys):
# id,name,seller_warehouse_id,contact_person,phone,region_code,state,city,district,street,postal_code,handover_mode
# id is the ERP's warehouse id, seller_warehouse_id Seller Center's (it binds the two);
# handover_mode is PICK UP or DROP OFF (上门揽收 / 自寄 too); other cells may be empty.

# Which side wins, per aspect: "seller" fixes the ERP from Seller Center (the default),
# "erp" the reverse (where the seller side can be written), "report" only reports.
# A table sets single fields: warehouse_address = { default = "seller", phone = "report" }
[policy]
warehouse_address = "seller"
pickup = "seller"

[aspects.pickup]
review_sla_hours = 24            # a pickup review pending longer than this is an alert
lookback_days = 14
# Pickup regions default to the 2023 switch from J&T (JT) to Wanse (WS) in Dongguan, Shenzhen and
# Guangzhou; only Dongguan's date is known (2023-09-19 00:00 Beijing time), so only Dongguan's
# waybills are judged by it unless you give a region its switch_at. To change them, list every region:
# [[aspects.pickup.regions]]
# name = "东莞"
# cities = ["东莞", "Dongguan"]
# provider = "Wanse"
# prefix = "WS"
# previous_provider = "J&T"
# previous_prefix = "JT"
# switch_at = 2023-09-19T00:00:00+08:00

# Where drift alerts go: each drift once when it opens and once when it resolves.
[[alerts]]
type = "log"

[[alerts]]
type = "jsonl"
path = ".erpsync/alerts.jsonl"

# Running as a service: `erpsync run` runs each aspect on its interval (minutes) and serves the
# status page, /healthz and /metrics on `listen` (docs/service.md, docs/status-page.md). Without a
# ui token the status page is read-only; with one, operators log in to acknowledge drifts, retry
# pushes, run a shop now or release a dead lease.
# [service]
# listen = "127.0.0.1:9187"
# [service.intervals]
# tracking = 5
# warehouse_address = 15
# listings = 60
# [service.ui]
# token = "${ERPSYNC_UI_TOKEN}"
"""
