package gil

import (
	"testing"
	"time"
)

// TestBracketless checks each mode's claim to be Bracketless, on which
// the runner leaves OpStart and OpEnd out of its loop: a mode whose
// Thread says so must not change the lock's state by them (its holder,
// its changes of holder, its goroutines' phases), and a mode whose
// OpStart takes the lock (mutex) must not say so. Only mutex brackets
// each op; a new mode is judged by the same snapshot.
func TestBracketless(t *testing.T) {
	bracketed := map[string]bool{"mutex": true}
	for _, mode := range Modes() {
		t.Run(mode, func(t *testing.T) {
			lock, err := New(mode, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			th := lock.Thread()
			_, bare := th.(Bracketless)
			if bare == bracketed[mode] {
				t.Fatalf("Bracketless %v, want %v", bare, !bracketed[mode])
			}
			th.Start()
			defer th.Stop()
			st, stater := lock.(Stater)
			if !stater {
				return // none: no state to change
			}
			before := comparable(st.State())
			th.OpStart()
			during := comparable(st.State())
			th.OpEnd()
			after := comparable(st.State())
			changed := before != during || before != after
			if bare && changed {
				t.Errorf("a Bracketless Thread's OpStart/OpEnd changed the lock:\nbefore %s\nduring %s\nafter  %s", before, during, after)
			}
			if !bare && !changed {
				t.Errorf("OpStart/OpEnd of a bracketed mode left the lock as it was (%s): it need not be bracketed", before)
			}
		})
	}
}

// comparable prints s without what moves with the clock alone.
func comparable(s State) string {
	s.Taken = time.Time{}
	for i := range s.Threads {
		s.Threads[i].For = 0
		s.Threads[i].Timer = ""
	}
	return s.String()
}
