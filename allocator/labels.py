"""Every label of the notice to retailers and of the `runs` and `history` tables, in one table.

Each label has an id (used in code, never shown) and its text in every language the tool speaks:
English, and Chinese for the day a scenario's `lang: zh` reaches the outputs. Column ids of the
CSV and keys of the JSON outputs are not labels: they stay English and stable.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

LABELS: dict[str, dict[str, str]] = {
    # the notice: its head
    "notice_title": {"en": "Allocation notice", "zh": "货源投放公示"},
    "run": {"en": "run", "zh": "批次"},
    "scenario": {"en": "scenario", "zh": "方案"},
    "period": {"en": "period", "zh": "周期"},
    "approved_by": {"en": "approved by", "zh": "审批人"},
    "approved_at": {"en": "approved", "zh": "审批时间"},
    "published_at": {"en": "published", "zh": "公示时间"},
    # the notice: one section per product
    "product": {"en": "product", "zh": "品规"},
    "method": {"en": "method", "zh": "投放方法"},
    "rounding": {"en": "rounding", "zh": "取整方法"},
    "target": {"en": "target", "zh": "投放目标"},
    "window": {"en": "window", "zh": "投放档位"},
    "segments": {"en": "segments", "zh": "投放区域"},
    "supply": {"en": "supply", "zh": "货源量"},
    "reserve": {"en": "reserve", "zh": "预留量"},
    "allocated": {"en": "allocated", "zh": "已投放"},
    "segment": {"en": "segment", "zh": "区域"},
    "ladder": {"en": "ladder", "zh": "档位序列"},
    "tier": {"en": "tier", "zh": "档位"},
    "quota_per_shop": {"en": "cartons per shop", "zh": "每户投放量(条)"},
    "shops_allocated": {"en": "shops allocated", "zh": "投放客户数"},
    "shops": {"en": "shops", "zh": "客户数"},
    "no_shops": {"en": "no shop of this product", "zh": "无投放客户"},
    "one_pool": {"en": "one pool: every shop", "zh": "不分区域"},
    "all_values": {"en": "all", "zh": "全部"},
    "by_field": {"en": "by", "zh": "按"},
    "weights": {"en": "split", "zh": "分配比例"},
    "not_recorded": {"en": "not recorded in the run's manifest", "zh": "未记录"},
    "policy_per_tier": {"en": "a fixed amount per tier", "zh": "按档位定量"},
    "policy_weighted": {"en": "shares weighted by tier", "zh": "按档位权重分配"},
    "policy_priority": {"en": "higher tiers first", "zh": "按档位优先"},
    "policy_tier_amounts": {"en": "one amount per tier, best fit to the supply", "zh": "按档位投放"},
    "target_at_most": {"en": "at most the supply", "zh": "不超过货源量"},
    "target_nearest": {"en": "nearest to the supply", "zh": "最接近货源量"},
    "weights_clients": {"en": "by number of shops", "zh": "按客户数"},
    "weights_orders": {"en": "by orders", "zh": "按订单量"},
    # the notice: its hashes
    "hashes": {"en": "Hashes (sha256)", "zh": "校验值(sha256)"},
    "file": {"en": "file", "zh": "文件"},
    "sha256": {"en": "sha256", "zh": "sha256"},
    "snapshot": {"en": "snapshot", "zh": "客户数据"},
    "tiering": {"en": "tiering rules", "zh": "分档规则"},
    "allocation": {"en": "allocation rules", "zh": "投放规则"},
    "manifest": {"en": "run manifest", "zh": "批次清单"},
    # the runs table
    "id": {"en": "id", "zh": "编号"},
    "started": {"en": "started", "zh": "开始时间"},
    "status": {"en": "status", "zh": "运行状态"},
    "state": {"en": "state", "zh": "审批状态"},
    "clients": {"en": "shops", "zh": "客户数"},
    "quotas_issued": {"en": "quotas issued", "zh": "投放总量"},
    "superseded_by": {"en": "superseded by", "zh": "被替代于"},
    "no_runs": {"en": "no runs yet", "zh": "尚无批次"},
    # states and statuses
    "running": {"en": "running", "zh": "运行中"},
    "ok": {"en": "ok", "zh": "完成"},
    "failed": {"en": "failed", "zh": "失败"},
    "draft": {"en": "draft", "zh": "草稿"},
    "approved": {"en": "approved", "zh": "已审批"},
    "published": {"en": "published", "zh": "已公示"},
    "superseded": {"en": "superseded", "zh": "已替代"},
    # the history tables
    "history_title": {"en": "tiers and quotas", "zh": "档位与投放量"},
    "acts_title": {"en": "acts", "zh": "人工操作记录"},
    "quota": {"en": "quota", "zh": "投放量"},
    "source": {"en": "source", "zh": "来源"},
    "kind": {"en": "act", "zh": "操作"},
    "by": {"en": "by", "zh": "操作人"},
    "at": {"en": "at", "zh": "时间"},
    "units": {"en": "units", "zh": "数量"},
    "reason": {"en": "reason", "zh": "原因"},
    "detail": {"en": "detail", "zh": "说明"},
    "assignment": {"en": "assignment", "zh": "客户经理分配"},
    "lock": {"en": "lock", "zh": "锁定"},
    "approve": {"en": "approve", "zh": "审批"},
    "supersede": {"en": "supersede", "zh": "替代"},
    "publish": {"en": "publish", "zh": "公示"},
}


def label(key: str, lang: str = "en") -> str:
    """The text of label `key` in `lang` ("en" or "zh"); an unknown key or language is a bug."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; the labels speak {', '.join(LANGUAGES)}")
    return LABELS[key][lang]
