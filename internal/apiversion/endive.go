package apiversion

// endive: the release after the stored model. stripe-node pins
// 2026-10-28.endive. Its versions are served with dahlia's shapes: the
// fake models none of endive's changes yet.
var endive = Release{
	Name:     "endive",
	Versions: []Version{Endive, "2026-10-28.endive"},
}
