package apiversion

// r20240620: https://docs.stripe.com/changelog/2024-06-20. Its breaking
// changes are outside Billing (Issuing, Terminal, Connect); none is
// modelled.
var r20240620 = Release{Name: "2024-06-20", Versions: []Version{V20240620}}
