"""Run one payout in its own process, for the kill-at-every-step tests.

    python tests/rewards_crash_child.py LEDGER_URL POLICY_TOML OUT_DIR STEP_LOG [KILL_AT]

Every step the payout reports is appended to STEP_LOG; at KILL_AT (a step's index, or its
name: see step_kills.KillAt) the process SIGKILLs itself. Prints the result as one JSON line.
"""

from __future__ import annotations

import json
import sys

from step_kills import NEVER, KillAt

from apeach_ls.database import open_database
from apeach_ls.rewards.payout import commit_payout
from apeach_ls.rewards.policy import load_policy


def main(url: str, policy_path: str, out_dir: str, log: str, kill_at: str = NEVER) -> None:
    engine = open_database(url)
    result = commit_payout(engine, load_policy(policy_path), out_dir, on_step=KillAt(log, kill_at))
    print(
        json.dumps(
            {
                "batch_id": result.batch_id,
                "finished": list(result.finished_batches),
                "total": result.plan.total,
                "files": [str(f) for f in result.files],
            }
        )
    )
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:6])
