package gil

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// fdAlarm is an alarm on a timerfd read through Go's network poller. The
// goroutine that waits on it holds no P and no thread: an idle P's M
// sleeps in epoll_wait, which returns as soon as the kernel fires the
// timer (tens of µs late, not the up to 1ms of a Go timer, whose expiry
// the poller can only wait for in whole milliseconds).
type fdAlarm struct {
	fd  int
	f   *os.File
	buf [8]byte
}

// newAlarm returns a timerfd alarm, or a Go timer if the system refuses
// a timerfd.
func newAlarm() alarm {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newTimerAlarm()
	}
	// A non-blocking descriptor: os.File reads it through the poller.
	return &fdAlarm{fd: fd, f: os.NewFile(uintptr(fd), "gil-timerfd")}
}

func (a *fdAlarm) set(d time.Duration) {
	// A zero it_value would disarm the timer.
	its := unix.ItimerSpec{Value: unix.NsecToTimespec(max(int64(d), 1))}
	if err := unix.TimerfdSettime(a.fd, 0, &its, nil); err != nil {
		panic("gil: timerfd_settime: " + err.Error())
	}
}

func (a *fdAlarm) wait() {
	// Setting the timer clears its count of expiries, so a read returns
	// for the latest setting only.
	if _, err := a.f.Read(a.buf[:]); err != nil {
		panic("gil: reading the timerfd: " + err.Error())
	}
}

func (a *fdAlarm) close() { _ = a.f.Close() }
