//go:build !linux

package gil

// newAlarm returns a Go timer: other systems have no timerfd.
func newAlarm() alarm { return newTimerAlarm() }
