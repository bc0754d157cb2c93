// Package cluster is the replicated workloads, cluster/counter and
// cluster/register: a counter kept by Params.Replicas node processes
// that clients increment and read while the parent cuts the network
// between the nodes, under one of three designs (the point's consistency
// key). Under cp the nodes are a Raft log (hashicorp/raft): a side
// without a majority refuses, and every answer is linearizable. Under
// ap every node answers from its own CRDT and pushes it to its peers
// (anti-entropy): cluster/counter's PN-counter keeps every increment,
// cluster/register's last-writer-wins register loses one side's.
// Under quorum (quorum.go: Dynamo's tunable quorums) each node keeps
// ap's CRDT and anti-entropy, but answers an increment once W replicas
// hold it and a read once R answered (read repair to W before it
// answers): R+W > N reads its writes and cuts off the minority as cp
// does, R = W = 1 is ap; the register's increment, a read-modify-write
// over quorums, loses concurrent increments even with R+W > N.
//
// The data flow of a run (StartReplicated) and of each sample:
//
//  1. The parent listens on two loopback ports per node, raft and api,
//     and starts a fault proxy per directed link (i->j raft, i->j api)
//     and per client link (->k api) (proxy.go). It starts the nodes as
//     service processes (internal/procs, node.go): all listeners are
//     inherited by every node, node i keeps its own pair, and its
//     config names, for each peer j, the proxy addresses of link i->j:
//     a node never dials a peer directly. It waits until every node
//     answers GET /state and, under cp, one leads.
//  2. BeginSample reads the nodes' agreed value (the history's initial
//     value) and starts the phase controller.
//  3. The runner's workers are the clients: the k-th of a sample is
//     attached to node k % Replicas through its client link, and sends
//     POST /incr or GET /read, half each, recording every request
//     (history.go). The first Op starts the clock t0. A client that got
//     anything but 200 waits 10ms before its next request: a refusal
//     is fast, and resending at once would flood the refusing node.
//  4. The controller cuts the partition at t0+PhaseTime (the sides by
//     Params.Partition; under --partition minority the cp leader is
//     never on the cut-off side, which halves and isolate-leader do
//     not promise), and heals it at t0+2*PhaseTime. Under cp it reads
//     the leader from every node's /state shortly before the cut
//     (retrying for up to a second through an election; of two that
//     claim to lead, the higher term). It records when it actually cut
//     and healed (a little late, never early): those times, not
//     multiples of PhaseTime, divide the sample's ops into the phases
//     healthy, partitioned and healed. A monitor then polls every
//     node's /state directly (not through a proxy) every 5ms until each
//     holds all that any node held just after the heal: converge-sec,
//     from the actual heal. From t0+3*PhaseTime each client's Op
//     returns workloads.ErrSampleDone.
//     Under --faults crash (Params.Faults "crash") the partitioned
//     phase kills the cut-off side's nodes instead (the same sides;
//     to crash the cp leader use isolate-leader, as minority spares
//     it) with SIGKILL (procs.ServicePool.Kill), after cutting their
//     links and their clients' links, so that what is sent to a dead
//     node is held as by a machine that is down, not queued on its
//     listener for its next incarnation. The heal restarts them
//     (ServicePool.Restart) with the same index, config and listeners
//     (the parent keeps its copies open), then heals the links. A
//     restarted node has lost its memory. Under cp it does not
//     bootstrap: it waits, with no configuration, for the leader to
//     send it the log (or a snapshot) and so catches up; if the
//     leader died the survivors elect another, and the controller
//     polls their /state every 5ms from the kill until one leads:
//     election-sec. Under ap and quorum it starts empty and merges
//     its peers' states by anti-entropy; increments it acknowledged
//     but had not yet pushed to a peer are gone (lost-acked counts
//     them: durability, not the partition). Its PN-counter entry is a
//     fresh one, index + Replicas x its restart count (node.slot): in
//     its old entry, which its peers hold at the old count, its new
//     increments would count from 0 and the merge (the maximum) would
//     drop them. A register's increment on a restarted node before its
//     first merge sets the value from 0 with the newest stamp: the
//     register loses everything before it (counted, LWW's lesson).
//  5. EndSample waits (bounded) for the nodes to agree, reads the final
//     value and hands the history to evaluate (check.go): availability
//     and latency per phase and side, stale reads, lost acknowledged
//     increments (only when the nodes agreed: else there is no final
//     value, and no lost-acked), converge-sec and porcupine's
//     linearizability verdict. The first history of the instance that
//     is not linearizable is drawn with porcupine's visualisation into
//     Params.HistoryDir (the runner sets it beside the results file,
//     results.HistoriesDir). A sample that failed gets no EndSample:
//     the next BeginSample, or Close, stops its controller and heals.
//  6. Close ends the node processes, then the proxies.
//
// Availability (avail-<phase>, avail-minority, avail-majority) is per
// request: the share of the requests invoked in the phase that were
// answered, not of the time or of the clients. A refused client backs
// off 10ms and so sends fewer requests than one that is answered in a
// few milliseconds: under cp with a minority partition the cut-off
// side's clients get nothing (avail-minority 0), yet
// avail-partitioned, dominated by the majority's many answered
// requests, stays well above 0.9 with three nodes.
//
// A node's API: POST /incr answers 200 {"value": v}; GET /read 200
// {"value": v}; a failed request 503 {"error", "outcome": "refused"}
// when the node knows it was not applied, 504 {..., "outcome":
// "unknown"} when it may have been. Under cp a follower forwards both
// to the leader's API through its link proxy, and the leader answers a
// read after committing a barrier entry through the log (raft.Barrier),
// not on a lease. GET /state is the node's local {"value",
// "progress", "leader", "term" (cp)}, never forwarded: progress is
// comparable elementwise (ap counter: its P then N vector; register:
// its stamp; cp: the index of the last increment applied). POST /sync
// (ap) merges a peer's state.
package cluster
