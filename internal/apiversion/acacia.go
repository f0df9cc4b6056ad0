package apiversion

// acacia: https://docs.stripe.com/changelog/acacia. Its breaking changes
// touch Connect, Issuing, Terminal and payment method details, not the
// Billing objects the fake keeps; none is modelled.
var acacia = Release{
	Name: "acacia",
	Versions: []Version{
		Acacia, "2024-10-28.acacia", "2024-11-20.acacia", "2024-12-18.acacia",
		"2025-01-27.acacia", "2025-02-24.acacia", "2025-03-01.dashboard",
	},
}
