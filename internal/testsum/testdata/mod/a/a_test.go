package a

import "testing"

func TestPass(t *testing.T) { t.Log("quiet when it passes") }

func TestFail(t *testing.T) {
	t.Log("logged before the failure")
	t.Error("boom")
}

func TestSkip(t *testing.T) { t.Skip("no widget: set WIDGET to run it") }

func TestSub(t *testing.T) {
	t.Run("ok", func(t *testing.T) {})
	t.Run("bad", func(t *testing.T) { t.Fatal("sub boom") })
	t.Run("skipped", func(t *testing.T) { t.Skip("no widget: set WIDGET to run it") })
}
