"""Drives a running stripefake with stripe-python: signup, trial, renewal
through the control API, a signed webhook, idempotency and an error.
Prints one JSON object of findings; main_test.go checks them."""
import http.server
import json
import os
import threading
import urllib.parse
import urllib.request

import stripe

base = os.environ["STRIPEFAKE_URL"]
stripe.api_key = "sk_test_python"
stripe.api_base = base
stripe.api_version = "2026-03-25.dahlia"  # the release the fake renders
stripe.max_network_retries = 0


def control(method, path, form=None):
    data = urllib.parse.urlencode(form).encode() if form else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer sk_test_python")
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


received = []
secret = {"value": ""}


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        try:
            ev = stripe.Webhook.construct_event(body, self.headers["Stripe-Signature"], secret["value"])
            received.append(ev["type"])
            self.send_response(200)
        except Exception as e:  # a bad signature fails the test through received
            received.append("bad signature: %s" % e)
            self.send_response(400)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=server.serve_forever, daemon=True).start()

out = {}
we = stripe.WebhookEndpoint.create(
    url="http://127.0.0.1:%d/hook" % server.server_address[1],
    enabled_events=["customer.subscription.created", "invoice.paid"],
)
secret["value"] = we["secret"]

params = dict(
    email="py@example.com",
    payment_method="pm_card_visa",
    invoice_settings={"default_payment_method": "pm_card_visa"},
)
customer = stripe.Customer.create(idempotency_key="signup-1", **params)
again = stripe.Customer.create(idempotency_key="signup-1", **params)
out["idempotent"] = again["id"] == customer["id"]

price = stripe.Price.create(
    currency="usd", unit_amount=1200, recurring={"interval": "month"}, product_data={"name": "Python plan"}
)
sub = stripe.Subscription.create(customer=customer["id"], items=[{"price": price["id"]}], trial_period_days=7)
out["trialStatus"] = sub["status"]

control("POST", "/_stripefake/advance", {"duration": "192h"})
out["afterTrial"] = stripe.Subscription.retrieve(sub["id"])["status"]
invoices = stripe.Invoice.list(subscription=sub["id"])
out["paidInvoices"] = len([i for i in invoices["data"] if i["status"] == "paid" and i["amount_paid"] == 1200])

try:
    stripe.Customer.retrieve("cus_missing")
except stripe.error.InvalidRequestError as e:
    out["errorType"] = type(e).__name__
    out["errorStatus"] = e.http_status
    out["errorCode"] = e.code

out["webhooks"] = received
server.shutdown()
print(json.dumps(out))
