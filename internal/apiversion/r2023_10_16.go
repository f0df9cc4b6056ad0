package apiversion

// r20231016 is the oldest version the fake serves: the one stripe-go v76
// pins. Its shapes are the stored model with every later change undone.
var r20231016 = Release{Name: "2023-10-16", Versions: []Version{V20231016}}
