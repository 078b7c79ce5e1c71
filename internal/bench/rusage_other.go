//go:build !linux

package bench

import "os"

// maxRSS is not measured outside Linux.
func maxRSS() int64 { return 0 }

func childMaxRSS(*os.ProcessState) int64 { return 0 }
