package gil

import "time"

// alarm is what the clock goroutine (timeouts.go) sleeps on: set may be
// called from any goroutine while another waits.
type alarm interface {
	// set makes the alarm fire once, d from now (d > 0), in place of
	// any earlier setting.
	set(d time.Duration)
	// wait blocks until the alarm fires. A set made before it fired
	// and after the last wait returned is the one it waits for.
	wait()
	// close frees the alarm; it is not used after.
	close()
}

// timerAlarm is an alarm on a Go timer: millisecond-precise when the
// waiting goroutine's P is idle (see timeouts.go), the fallback where
// there is no timerfd.
type timerAlarm struct{ t *time.Timer }

func newTimerAlarm() *timerAlarm {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &timerAlarm{t}
}

func (a *timerAlarm) set(d time.Duration) { a.t.Reset(d) }
func (a *timerAlarm) wait()               { <-a.t.C }
func (a *timerAlarm) close()              { a.t.Stop() }
