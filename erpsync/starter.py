"""The annotated configuration ``erpsync init`` writes. Kept valid: a test loads it."""

STARTER_CONFIG = """\
# erpsync configuration. Values like ${NAME} are read from the environment, so secrets
# stay out of this file; ${NAME:-default} gives a default. Relative paths are relative
# to this file. `erpsync check` validates it and tests every connection.

# Where erpsync keeps its state (drifts, ledger, run history, leases).
data_dir = ".erpsync"

[state]
# Empty: an SQLite file in data_dir. PostgreSQL: "postgresql+psycopg://user@host/erpsync"
# (pip install 'erpsync[postgres]').
url = ""

# One [[shops]] table per shop. A TSP agency lists every merchant's shop here.
[[shops]]
name = "my-shop"                 # what --shop takes; letters, digits, - _ .
# aspects = ["warehouse_address", "pickup"]   # default: every registered aspect

[shops.seller]                   # the seller backend: TikTok Shop's Open API
type = "tiktok"
# base_url = "https://open-api.tiktokglobalshop.com"   # the default; `erpsync sandbox serve` for a local one
app_key = "${TTS_APP_KEY}"
app_secret = "${TTS_APP_SECRET}"
shop_id = "${TTS_SHOP_ID}"       # the shop's id from the authorised-shops list
# Tokens: either authorise once and let erpsync keep and refresh them in its state store
#   erpsync auth url --shop my-shop        (open the link as the seller, copy the code)
#   erpsync auth exchange CODE --shop my-shop
#   erpsync auth status
# which needs your app's service id from Partner Center (uncomment):
# service_id = "${TTS_SERVICE_ID}"
# or give a fixed access token (never refreshed):
# access_token = "${TTS_ACCESS_TOKEN}"
# rate_limit_qps = 50            # the Open API allows 50 requests/s per API and shop
# pickup_lookback_days = 14      # how far back packages are read to infer pickup state

[shops.erp]                      # the ERP; `erpsync plugins` lists the types installed
type = "files"
path = "erp"                     # a folder with warehouses.csv (or warehouses.json)

# Which side wins, per aspect: "seller" fixes the ERP from Seller Center (the default),
# "erp" the reverse (where the seller side can be written), "report" only reports.
# A table sets single fields: warehouse_address = { default = "seller", phone = "report" }
[policy]
warehouse_address = "seller"
pickup = "seller"

[aspects.pickup]
review_sla_hours = 24            # a pickup review pending longer than this is an alert
lookback_days = 14
# Pickup regions default to the 2023 switch: Dongguan, Shenzhen, Guangzhou from J&T (JT)
# to Wanse (WS) on 2023-09-19 00:00 Beijing time. To change them, list every region:
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
"""
