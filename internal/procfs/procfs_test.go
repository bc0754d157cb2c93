package procfs

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStatFields(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       []string // nil: not ok
	}{
		{"plain", "42 (sleep) S 1 42 42 0 -1\n", []string{"S", "1", "42", "42", "0", "-1"}},
		{"spaces in comm", "7 (my prog) R 3 ", []string{"R", "3"}},
		{"parens in comm", "7 (a) Z 9 (b)) Z 5\n", []string{"Z", "5"}},
		{"empty comm", "7 () X 2", []string{"X", "2"}},
		{"no paren", "7 sleep S 1", nil},
		{"nothing after", "7 (sleep)\n", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := StatFields([]byte(tc.line))
			if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
				t.Errorf("StatFields(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.want != nil)
			}
		})
	}
}

func TestParseSchedstat(t *testing.T) {
	for _, tc := range []struct {
		line      string
		run, wait time.Duration
		ok        bool
	}{
		{"123 456 7\n", 123, 456, true},
		{"0 0 0", 0, 0, true},
		{"5 6", 5, 6, true},
		{"5", 0, 0, false},
		{"", 0, 0, false},
		{"x 6 1", 0, 0, false},
		{"5 -6 1", 0, 0, false},
		{"99999999999999999999 1 1", 0, 0, false},
	} {
		t.Run(strconv.Quote(tc.line), func(t *testing.T) {
			run, wait, ok := ParseSchedstat([]byte(tc.line))
			if run != tc.run || wait != tc.wait || ok != tc.ok {
				t.Errorf("ParseSchedstat(%q) = %v, %v, %v; want %v, %v, %v", tc.line, run, wait, ok, tc.run, tc.wait, tc.ok)
			}
		})
	}
}

// TestSelf reads this process's own files where there is a /proc.
func TestSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, ok := Stat("/proc/self/stat"); ok {
			t.Error("Stat is ok without /proc")
		}
		t.Skip("/proc is Linux's")
	}
	// /proc/self/stat is the main thread's, which may sleep while this
	// test runs on another: the state to check is this thread's own.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f, ok := Stat("/proc/thread-self/stat")
	if !ok || len(f) < 20 {
		t.Fatalf("Stat(/proc/thread-self/stat) = %q, %v; want 20 fields or more", f, ok)
	}
	if f[0] != "R" {
		t.Errorf("state %q, want R: this thread is running", f[0])
	}
	if f, ok := Stat("/proc/self/stat"); !ok || len(f) < 20 {
		t.Errorf("Stat(/proc/self/stat) = %q, %v; want 20 fields or more", f, ok)
	}
	if ppid, _ := strconv.Atoi(f[1]); ppid != os.Getppid() {
		t.Errorf("ppid %q, want %d", f[1], os.Getppid())
	}
	if _, ok := Stat("/proc/self/no-such-file"); ok {
		t.Error("Stat of a missing file is ok")
	}
	if _, err := os.Stat("/proc/self/schedstat"); err != nil {
		t.Skip("no schedstat:", err)
	}
	if _, _, ok := Schedstat("/proc/self/schedstat"); !ok {
		t.Error("Schedstat(/proc/self/schedstat) is not ok")
	}
}

func FuzzStatFields(f *testing.F) {
	f.Add([]byte("42 (sleep) S 1 42 42 0 -1\n"))
	f.Add([]byte("7 (a) Z 9 (b)) Z 5"))
	f.Add([]byte("7 sleep"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, ok := StatFields(data)
		if ok != (len(fields) > 0) {
			t.Fatalf("ok %v with %d fields", ok, len(fields))
		}
		if !ok {
			return
		}
		for _, s := range fields {
			if s == "" || strings.ContainsAny(s, ")") || len(bytes.Fields([]byte(s))) != 1 {
				t.Fatalf("field %q: want one word without ')'", s)
			}
		}
		// Fields survive another command in front of them.
		again, ok := StatFields([]byte("1 (x) " + strings.Join(fields, " ")))
		if !ok || !slices.Equal(again, fields) {
			t.Fatalf("re-parsed %q as %q, %v", fields, again, ok)
		}
	})
}

func FuzzParseSchedstat(f *testing.F) {
	f.Add([]byte("123 456 7\n"))
	f.Add([]byte("5"))
	f.Add([]byte("-1 2 3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, wait, ok := ParseSchedstat(data)
		if !ok {
			if run != 0 || wait != 0 {
				t.Fatalf("not ok but %v, %v", run, wait)
			}
			return
		}
		if run < 0 || wait < 0 {
			t.Fatalf("negative %v, %v", run, wait)
		}
		line := strconv.FormatInt(int64(run), 10) + " " + strconv.FormatInt(int64(wait), 10)
		r, w, ok := ParseSchedstat([]byte(line))
		if !ok || r != run || w != wait {
			t.Fatalf("re-parsed %q as %v, %v, %v", line, r, w, ok)
		}
	})
}
func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t    1234 kB\nThreads:\t5\n", 1234 << 10, true},
		{"VmRSS: 0 kB", 0, true},
		{"Name:\tx\n", 0, false},
		{"VmRSS:\t12 MB\n", 0, false},
		{"VmRSS:\t-1 kB\n", 0, false},
		{"VmRSS:\n", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseVmRSS([]byte(tt.in))
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseVmRSS(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseVmRSS(f *testing.F) {
	f.Add([]byte("Name:\tx\nVmRSS:\t    1234 kB\n"))
	f.Add([]byte("VmRSS: 99999999999999999999 kB"))
	f.Add([]byte("VmRSS:\t12 MB\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseVmRSS(data)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v but %d", err, n)
			}
			return
		}
		if n < 0 || n%1024 != 0 {
			t.Fatalf("%d bytes: want a whole, non-negative count of KiB", n)
		}
		line := "VmRSS:\t" + strconv.FormatInt(n>>10, 10) + " kB\n"
		if again, err := ParseVmRSS([]byte(line)); err != nil || again != n {
			t.Fatalf("re-parsed %q as %d, %v", line, again, err)
		}
	})
}

func TestResident(t *testing.T) {
	n, ok := Resident()
	if runtime.GOOS == "linux" && (!ok || n <= 0) {
		t.Fatalf("Resident() = %d, %v on Linux: want the process's VmRSS", n, ok)
	}
}

// TestOfPID reads this process's CPU and memory by its pid, as the
// parent of an external service reads its children's, and a child's
// CPU time as it spins; no process has none.
func TestOfPID(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, ok := CPUOf(os.Getpid()); ok {
			t.Error("CPUOf is ok outside Linux")
		}
		t.Skip("no /proc")
	}
	if cpu, ok := CPUOf(os.Getpid()); !ok || cpu <= 0 {
		t.Errorf("CPUOf(self) = %v, %v", cpu, ok)
	}
	if n, ok := ResidentOf(os.Getpid()); !ok || n <= 0 {
		t.Errorf("ResidentOf(self) = %d, %v", n, ok)
	}
	for _, pid := range []int{1 << 30, 0, -1} {
		if _, ok := CPUOf(pid); ok {
			t.Errorf("CPUOf(%d), of no process, is ok", pid)
		}
	}
	spin := exec.Command("sh", "-c", "while :; do :; done")
	if err := spin.Start(); err != nil {
		t.Skip("no sh:", err)
	}
	defer func() {
		spin.Process.Kill()
		spin.Wait()
	}()
	c0, ok0 := CPUOf(spin.Process.Pid)
	time.Sleep(100 * time.Millisecond)
	c1, ok1 := CPUOf(spin.Process.Pid)
	if !ok0 || !ok1 || c1-c0 < 10*time.Millisecond {
		t.Errorf("a child spinning 100ms: CPUOf %v, %v then %v, %v; want 10ms more at least", c0, ok0, c1, ok1)
	}
	spin.Process.Kill()
	spin.Wait()
	if _, ok := CPUOf(spin.Process.Pid); ok {
		t.Error("CPUOf of a reaped child is ok")
	}
}

// TestRunnableChildren: a child that spins is counted, and no longer
// once it is gone.
func TestRunnableChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("no /proc")
	}
	if n := RunnableChildren(os.Getpid()); n != 0 {
		t.Fatalf("RunnableChildren before any child = %d, want 0", n)
	}
	spin := exec.Command("sh", "-c", "while :; do :; done")
	if err := spin.Start(); err != nil {
		t.Skip("no sh:", err)
	}
	defer spin.Process.Kill()
	// A spinning child is running or waiting for a CPU: R, at nearly
	// every reading.
	seen := 0
	for range 20 {
		seen += RunnableChildren(os.Getpid())
		time.Sleep(5 * time.Millisecond)
	}
	if seen < 15 {
		t.Errorf("a spinning child counted %d times in 20 readings, want nearly all", seen)
	}
	spin.Process.Kill()
	spin.Wait()
	if n := RunnableChildren(os.Getpid()); n != 0 {
		t.Errorf("RunnableChildren after the child was reaped = %d, want 0", n)
	}
}
