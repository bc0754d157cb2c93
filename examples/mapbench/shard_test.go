package mapbench

import "testing"

// TestShardSpread checks that the key space spreads evenly over the
// shards: with every key in one shard the sharded map would be the
// mutex map, and the benchmarks would compare nothing.
func TestShardSpread(t *testing.T) {
	s := NewShardedMap(64)
	Fill(s)
	even := KeySpace / s.Shards()
	for i := range s.shards {
		if n := len(s.shards[i].m); n < even/2 || n > even*2 {
			t.Errorf("shard %d holds %d of %d keys, want about %d", i, n, KeySpace, even)
		}
	}
}
