// Drives a running stripefake with stripe-node: signup, trial, renewal
// through the control API, a signed webhook, idempotency and an error.
// Prints one JSON object of findings; main_test.go checks them.
'use strict';
const http = require('http');
const Stripe = require('stripe');

const base = new URL(process.env.STRIPEFAKE_URL);
const stripe = new Stripe('sk_test_node', {
  apiVersion: '2026-03-25.dahlia', // the release the fake renders
  host: base.hostname,
  port: Number(base.port),
  protocol: base.protocol.replace(':', ''),
  maxNetworkRetries: 0,
});

async function control(method, path, body) {
  const res = await fetch(base.origin + path, {
    method,
    headers: {Authorization: 'Bearer sk_test_node', 'Content-Type': 'application/x-www-form-urlencoded'},
    body,
  });
  return res.json();
}

async function main() {
  const out = {};
  // A webhook receiver that checks signatures as an app would.
  const received = [];
  let secret = '';
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        const ev = stripe.webhooks.constructEvent(body, req.headers['stripe-signature'], secret);
        received.push(ev.type);
        res.writeHead(200).end('ok');
      } catch (e) {
        received.push('bad signature: ' + e.message);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const we = await stripe.webhookEndpoints.create({
    url: `http://127.0.0.1:${receiver.address().port}/hook`,
    enabled_events: ['customer.subscription.created', 'invoice.paid'],
  });
  secret = we.secret;

  const customer = await stripe.customers.create(
    {email: 'node@example.com', payment_method: 'pm_card_visa', invoice_settings: {default_payment_method: 'pm_card_visa'}},
    {idempotencyKey: 'signup-1'},
  );
  const again = await stripe.customers.create(
    {email: 'node@example.com', payment_method: 'pm_card_visa', invoice_settings: {default_payment_method: 'pm_card_visa'}},
    {idempotencyKey: 'signup-1'},
  );
  out.idempotent = again.id === customer.id;

  const price = await stripe.prices.create({
    currency: 'usd', unit_amount: 1200, recurring: {interval: 'month'}, product_data: {name: 'Node plan'},
  });
  const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], trial_period_days: 7});
  out.trialStatus = sub.status;

  await control('POST', '/_stripefake/advance', 'duration=' + encodeURIComponent('192h'));
  const renewed = await stripe.subscriptions.retrieve(sub.id);
  out.afterTrial = renewed.status;
  const invoices = await stripe.invoices.list({subscription: sub.id});
  out.paidInvoices = invoices.data.filter((i) => i.status === 'paid' && i.amount_paid === 1200).length;

  try {
    await stripe.customers.retrieve('cus_missing');
  } catch (e) {
    out.errorType = e.type;
    out.errorStatus = e.statusCode;
    out.errorCode = e.code;
  }
  out.webhooks = received;
  receiver.close();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
