package stripefake_test

import "github.com/stripefake/stripefake/internal/resources"

// The engine's checks of saved values run under these tests too.
func init() { resources.CheckSavesInTests() }
