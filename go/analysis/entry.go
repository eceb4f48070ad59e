package analysis

import (
	"strings"

	"orchestrator/go/inst"
)

// entryFields fills the counts and copies of an entry from its facts.
func entryFields(f *facts, s Snapshot, o Options) ReplicationAnalysis {
	m := f.m
	a := ReplicationAnalysis{
		AnalyzedInstanceKey:                   m.Key,
		AnalyzedInstanceMasterKey:             m.MasterKey,
		AnalyzedInstanceDataCenter:            m.DataCenter,
		AnalyzedInstanceRegion:                m.Region,
		AnalyzedInstancePhysicalEnvironment:   m.PhysicalEnvironment,
		AnalyzedInstanceBinlogCoordinates:     m.SelfBinlogCoordinates,
		IsMaster:                              f.isMaster,
		IsReplicationGroupMember:              f.isGRMember,
		IsCoMaster:                            f.isCoMaster,
		LastCheckValid:                        f.valid,
		LastCheckPartialSuccess:               f.partial,
		CountReplicas:                         uint(f.countReplicas()),
		CountValidReplicas:                    uint(f.countValid()),
		CountValidReplicatingReplicas:         uint(len(f.replicating)),
		CountReplicasFailingToConnectToMaster: uint(len(f.failing)),
		CountDowntimedReplicas:                uint(len(f.downtimed)),
		CountStalledReplicas:                  uint(len(f.stalled)),
		ReplicationDepth:                      m.ReplicationDepth,
		IsFailingToConnectToMaster:            m.IsFailingToConnectToMaster(),
		IsBinlogServer:                        f.binlogServer,
		PseudoGTIDImmediateTopology:           m.UsingPseudoGTID,
		SemiSyncMasterEnabled:                 m.SemiSyncMasterEnabled,
		SemiSyncMasterStatus:                  m.SemiSyncMasterStatus,
		SemiSyncMasterWaitForReplicaCount:     m.SemiSyncMasterWaitForReplicaCount,
		SemiSyncMasterClients:                 m.SemiSyncMasterClients,
		CountDelayedReplicas:                  uint(len(f.delayed)),
		CountLaggingReplicas:                  uint(len(f.lagging)),
		ProcessingNodeHostname:                o.ProcessingNodeHostname,
		ProcessingNodeToken:                   o.ProcessingNodeToken,
		GTIDMode:                              m.GTIDMode,
		IsReadOnly:                            m.ReadOnly,
	}
	a.Replicas = replicaKeys(f.replicas)
	a.SlaveHosts = a.Replicas
	setDowntime(&a, f, s)
	setTopology(&a, f, s)
	setReplicaModes(&a, f)
	return a
}

func replicaKeys(rs []*inst.Instance) []inst.InstanceKey {
	out := make([]inst.InstanceKey, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Key)
	}
	return out
}

func setDowntime(a *ReplicationAnalysis, f *facts, s Snapshot) {
	d, ok := s.downtime(f.m, f.now)
	if !ok {
		return
	}
	a.IsDowntimed = true
	a.DowntimeEndTimestamp = inst.FormatTime(d.EndsAt)
	if d.EndsAt.IsZero() && f.m.DowntimeEndTimestamp != "" {
		a.DowntimeEndTimestamp = f.m.DowntimeEndTimestamp
	}
	if !d.EndsAt.IsZero() {
		a.DowntimeRemainingSeconds = int(d.EndsAt.Sub(f.now).Seconds())
	}
}

// setTopology fills the "immediate topology" flags and the logging counts.
func setTopology(a *ReplicationAnalysis, f *facts, s Snapshot) {
	t := newTopo(f, s)
	a.OracleGTIDImmediateTopology = t.oracleGTID
	a.MariaDBGTIDImmediateTopology = t.mariadbGTID
	a.BinlogServerImmediateTopology = t.binlogServer
	a.CountLoggingReplicas = uint(len(t.logging))
	a.CountStatementBasedLoggingReplicas = uint(len(t.formats["STATEMENT"]))
	a.CountMixedBasedLoggingReplicas = uint(len(t.formats["MIXED"]))
	a.CountRowBasedLoggingReplicas = uint(len(t.formats["ROW"]))
	a.CountDistinctMajorVersionsLoggingReplicas = uint(len(t.majors))
}

// setReplicaModes fills the semi-sync count and the GTID mode range.
func setReplicaModes(a *ReplicationAnalysis, f *facts) {
	for i, r := range f.replicas {
		if r.SemiSyncReplicaEnabled {
			a.CountSemiSyncReplicasEnabled++
		}
		if i == 0 || strings.Compare(r.GTIDMode, a.MinReplicaGTIDMode) < 0 {
			a.MinReplicaGTIDMode = r.GTIDMode
		}
		if i == 0 || strings.Compare(r.GTIDMode, a.MaxReplicaGTIDMode) > 0 {
			a.MaxReplicaGTIDMode = r.GTIDMode
		}
	}
	for _, r := range errantReplicas(f) {
		if r.GtidErrant > a.MaxReplicaGTIDErrant {
			a.MaxReplicaGTIDErrant = r.GtidErrant
		}
	}
}
