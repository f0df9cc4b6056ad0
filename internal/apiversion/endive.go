package apiversion

// endive: https://docs.stripe.com/changelog/endive, the release after the
// stored model. stripe-node's current release pins 2026-10-28.endive;
// Stripe's changelog lists 2026-11-18.endive with non-breaking changes
// only.
//
// Its versions are served with dahlia's shapes: endive's breaking changes
// are not modelled. None could be confirmed from the sources at hand (the
// stripe-go snapshot ends at v86.2.0, pinned to dahlia, and the stored
// changelog pages give endive's monthly additions, not its breaking
// list). Modelling one needs the chain to run upward too (the stored model
// is older than endive): a Change whose Down is applied for versions at or
// after its release instead of before it.
var endive = Release{
	Name:     "endive",
	Versions: []Version{Endive, "2026-10-28.endive", "2026-11-18.endive"},
}
