package results

import "testing"

func TestParseLocks(t *testing.T) {
	const listing = `1: POSIX  ADVISORY  WRITE 700 fe:00:42 0 EOF
2: FLOCK  ADVISORY  WRITE 13496 fe:00:9994287 0 EOF
2: -> FLOCK  ADVISORY  WRITE 13500 fe:00:9994287 0 EOF
3: OFDLCK ADVISORY  READ  -1 fe:00:7 0 EOF
4: FLOCK  ADVISORY  WRITE 555 00:2a:9994287 0 EOF
5: FLOCK  ADVISORY  WRITE 556 00:2b:1234 0 EOF
`
	tests := []struct {
		major, minor, ino uint64
		want              int
	}{
		{0xfe, 0, 9994287, 13496},
		{0, 0x2a, 9994287, 555},
		{9, 9, 1234, 556}, // the inode alone, where no device matches
		{0xfe, 0, 42, 0},  // a POSIX lock is not a flock
		{0xfe, 0, 7, 0},
		{0xfe, 0, 1, 0},
	}
	for _, tt := range tests {
		if got := parseLocks([]byte(listing), tt.major, tt.minor, tt.ino); got != tt.want {
			t.Errorf("parseLocks(%x:%x:%d) = %d, want %d", tt.major, tt.minor, tt.ino, got, tt.want)
		}
	}
}

func FuzzParseLocks(f *testing.F) {
	f.Add([]byte("2: FLOCK  ADVISORY  WRITE 13496 fe:00:9994287 0 EOF\n"), uint64(9994287))
	f.Add([]byte("2: -> FLOCK  ADVISORY  WRITE 1 fe:00:1 0 EOF\n1: FLOCK x y -5 a:b:1"), uint64(1))
	f.Fuzz(func(t *testing.T, data []byte, ino uint64) {
		if pid := parseLocks(data, 0xfe, 0, ino); pid < 0 {
			t.Errorf("pid %d", pid)
		}
	})
}
