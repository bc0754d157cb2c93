package b

import "testing"

func TestPass(t *testing.T) {}
