"""Every label of the notice to retailers, the `runs` and `history` tables, the terminal tables
of `allocator run`, the report and the workbook, in one catalogue.

Each label has an id (used in code, never shown) and its text in every language the tool speaks:
English, and Chinese for the day a scenario's `lang: zh` reaches the outputs. Column ids of the
CSV and keys of the JSON outputs are not labels: they stay English and stable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

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
    "policy_per_tier": {"en": "each tier's entitlement per shop, scaled down alike when supply is short", "zh": "按档位标准量，货源不足时同比例缩减"},
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
    "rules": {"en": "rules", "zh": "按规则"},
    "assignment": {"en": "assignment", "zh": "客户经理分配"},
    "lock": {"en": "lock", "zh": "锁定"},
    "approve": {"en": "approve", "zh": "审批"},
    "supersede": {"en": "supersede", "zh": "替代"},
    "publish": {"en": "publish", "zh": "公示"},
    # what joins the items of a list, and the clauses of a sentence (explain)
    "list_sep": {"en": ", ", "zh": "，"},
    "clause_sep": {"en": "; ", "zh": "；"},
}


# The report's, the terminal tables' and the workbook's words: English text (the label's id, and
# what English output shows, byte for byte) -> Chinese. Templates have named fields {like_this},
# filled with str.format after the lookup, so a value quoted from a file is never read as one.
PHRASES: dict[str, str] = {
    # columns of summary.csv, tier_amounts.csv, comparison.csv, quotas.csv (workbook headers, report)
    "product": "品规", "line": "行类型", "segment": "区域", "ladder": "档位序列", "tier": "档位",
    "clients": "客户数", "ordered": "订单量", "entitled": "应投放量", "allocated": "投放量",
    "fill_rate": "订单满足率", "stockout_rate": "断货率", "full_fill_rate": "订足面", "coverage": "投放面",
    "gap_rate": "需求缺口率", "top10_share": "前10%集中度", "gini": "基尼系数", "min_quota": "最小投放量",
    "max_quota": "最大投放量", "note": "备注", "available": "可投放量", "client_id": "客户编号",
    "variant": "方案", "tier_changed": "档位变动客户数", "amount": "每户投放量", "customers": "客户数", "outside": "区域外", "total": "合计",
    "reserve": "预留", "unallocated": "未分配", "supply": "货源量", "quota": "投放量",
    # workbook sheets
    "summary": "汇总", "tier amounts": "档位投放量", "quotas": "客户投放量", "comparison": "方案对比",
    "segments": "区域",
    # terminal tables of `allocator run`
    "{name} · period {period} · seed {seed} · {clients} clients": "{name} · 周期 {period} · 随机种子 {seed} · 客户 {clients} 户",
    "base": "基准", "fill": "订单满足率", "stock-out": "断货率", "full fill": "订足面", "gap": "需求缺口率",
    "top 10%": "前10%集中度", "Gini": "基尼系数", "shops": "客户数", "left": "未分配",
    "base: tier amounts (cartons per shop)": "基准：档位投放量（条/户）",
    "base: products allocated to segments": "基准：按区域投放的品规",
    "base: products, every tier": "基准：各品规（全部档位）",
    "… and {n} more alerts (report.html lists every one)": "……另有 {n} 条预警（report.html 列出全部）",
    "not allocated: {n} plans": "未投放：{n} 个计划", "row": "行", "code": "代码", "name": "名称",
    "method": "投放方法", "reason": "原因", "variants compared: allocated (fill rate)": "方案对比：投放量（订单满足率）",
    "{allocated} of {available}": "{allocated} / {available}", "wrote {folder}/ ({files})": "已写入 {folder}/（{files}）",
    # the tables of `allocator history` and `allocator cycle`
    "superseded by run {run}": "被批次 {run} 替代", "supersedes run {run}": "替代批次 {run}",
    "{name} · cycle {cycle} · {file}": "{name} · 投放周期 {cycle} · {file}", "rounds": "各轮次", "round": "轮次",
    "run": "批次", "state": "审批状态", "draft runs": "草稿批次", "open": "未审批", "issued": "已投放",
    " · next round {round}: {supply}": " · 下一轮次 {round}：{supply}", "clients received": "获投放客户数",
    "{product} · cycle supply {supply} · issued {issued} · remaining {remaining}{next}":
    "{product} · 周期货源 {supply} · 已投放 {issued} · 剩余 {remaining}{next}", "spread": "极差",
    "and {n} more tiers ({names}): nothing issued, nothing ordered": "另有 {n} 个档位（{names}）：无投放、无订单",
    # alert lines (pipeline/alerts.py): said in the run's output and the report; the batch log keeps English
    "alert: {product}, {where}: {figure} {value} is {way} {threshold}{variant}":
    "预警：{product}，{where}：{figure} {value}，{way} {threshold}{variant}",
    "alert: {where}: fill-rate gap {gap} between {high} ({high_rate}) and {low} ({low_rate}) is above {limit}{variant}":
    "预警：{where}：{high}（{high_rate}）与 {low}（{low_rate}）的订单满足率差 {gap}，高于 {limit}{variant}",
    "{product}, segment {segment}": "{product}，区域 {segment}", "tier {tier}": "档位 {tier}",
    "ladder {ladder}, tier {tier}": "档位序列 {ladder}，档位 {tier}", "segment {segment}, tier {tier}":
    "区域 {segment}，档位 {tier}", "segment {segment}, ladder {ladder}, tier {tier}": "区域 {segment}，档位序列 {ladder}，档位 {tier}",
    " (variant {variant})": "（方案 {variant}）",
    # `allocator explain`: the text (review/explain_text.py) and the sentence (review/explain_sentence.py)
    "Client {client} · {scenario} ({file}) · period {period} · seed {seed}":
    "客户 {client} · {scenario}（{file}） · 周期 {period} · 随机种子 {seed}", " · variant {variant}": " · 方案 {variant}",
    "ladder {ladder} · final tier {tier}": "档位序列 {ladder} · 最终档位 {tier}", "Inputs": "输入", "Derived": "派生值",
    "{field} ({type}): {value}": "{field}（{type}）：{value}", "number": "数字", "integer": "整数", "category": "分类",
    "text": "文本", "order": "订单", "null": "空", "true": "是", "false": "否",
    "{name} = {expression} → {value}": "{name} = {expression} → {value}", " ({note})": "（{note}）",
    "{columns} is empty": "{columns} 为空", "division by zero": "除数为零",
    "{field} {op} {threshold}: {value} → {truth}": "{field} {op} {threshold}：{value} → {truth}",
    "not ({truth}):": "非（{truth}）：", "all of ({truth}):": "全部满足（{truth}）：", "any of ({truth}):": "任一满足（{truth}）：",
    " [ladder {ladders}]": " [档位序列 {ladders}]", "matched": "匹配", "no match": "不匹配", "other ladder": "其他档位序列",
    "not tested": "未检验", "applied": "已调整", "excludes": "排除",
    "Placement (the first matching rule places the client)": "定档（第一条匹配的规则决定档位）",
    "{id}{ladders} → tier {tier}: {status}": "{id}{ladders} → 档位 {tier}：{status}",
    "placed in tier {tier} by rule {rule}": "由规则 {rule} 定为档位 {tier}",
    "no rule matched: the default tier {tier}": "没有规则匹配：默认档位 {tier}",
    "Adjustments (in order, each kept on the ladder)": "调档（依次进行，不超出档位序列）", "demote {n}": "降 {n} 档",
    "promote {n}": "升 {n} 档", ", {before} → {after}": "，{before} → {after}",
    " (already the last tier of the ladder)": "（已是档位序列的最后一档）",
    " (already the first tier of the ladder)": "（已是档位序列的第一档）",
    "{id}{ladders} ({step}): {status}{moved}": "{id}{ladders}（{step}）：{status}{moved}", "(no adjustment rules)": "（无调档规则）",
    "Move limits": "升降档限制", "no move limits": "无升降档限制",
    "no current tier ({limits}): tier {tier} stands": "无当前档位（{limits}）：保持档位 {tier}",
    "limited by {limit} to {tier}": "受 {limit} 限制为 {tier}", "within the limits": "在限制之内",
    "previous tier {tier} is not on ladder {ladder}": "上期档位 {tier} 不在档位序列 {ladder} 中",
    "current tier {current}, {limits}: tier {tier} → {result}": "当前档位 {current}，{limits}：档位 {tier} → {result}",
    "Final tier: {tier}": "最终档位：{tier}",
    "Product {product} (policy {policy}, rounding {rounding})": "品规 {product}（投放方法 {policy}，取整方法 {rounding}）",
    "entitlement {n}": "标准量 {n}", "weight {n}": "权重 {n}", "ordered {n} ({column})": "订单量 {n}（{column}）",
    "no order column": "无订单列", "max_per_client {n}": "max_per_client {n}", "min_per_client {n}": "min_per_client {n}",
    " (excluded)": "（已排除）", " (tier outside the window)": "（档位不在投放档位内）", " after {n} assigned": "（扣除已分配的 {n}）",
    "locked at {n}": "锁定为 {n}", "claim {n}": "应得 {n}", "no cap": "无上限", "cap {n}": "上限 {n}",
    "{given} → {cap}{why}, {claim}": "{given} → {cap}{why}，{claim}", "eligibility {id}: {result}": "准入规则 {id}：{result}",
    ", reserve {n}": "，预留 {n}", ", released {n}": "，退回 {n}", ", locked {n}": "，锁定 {n}",
    "supply {supply}{reserve}, available {available}": "货源 {supply}{reserve}，可投放 {available}",
    "note: {note}": "备注：{note}", "quota {quota}: {explanation}": "投放量 {quota}：{explanation}",
    "its segment {segment} is not one the product goes to → quota 0": "其区域 {segment} 不在该品规的投放区域内 → 投放量 0",
    "(none: a value is empty)": "（无：有取值为空）", "excluded by {rule} → quota 0": "被 {rule} 排除 → 投放量 0",
    "tier outside the product's window → quota 0": "档位不在该品规的投放档位内 → 投放量 0",
    "its tier's entitlement is 0": "其档位的标准量为 0", "its cap is {cap}": "其上限为 {cap}",
    "nothing to claim ({why}) → quota {quota}": "无应得量（{why}） → 投放量 {quota}", "quota {quota}": "投放量 {quota}",
    "quota {quota} of the claim {claim} ({share})": "投放量 {quota}，为应得量 {claim} 的 {share}",
    " of segment {segment}": "（区域 {segment}）", ", times {factor} (multiplier)": "，乘以 {factor}（倍数）",
    "one amount for every client of the tier{where}: {amount}{times}, capped at {cap} → {got}":
    "该档{where}每户同一投放量：{amount}{times}，上限 {cap} → {got}",
    "supply covers every claim ({claimed} claimed, {available} available) → {got}":
    "货源满足全部应得量（应得 {claimed}，可投放 {available}） → {got}", "uncapped claims": "无上限的应得量",
    "supply short ({available} available for {claimed} claimed)": "货源不足（可投放 {available}，应得 {claimed}）",
    "{short}: tiers served best first, equal shares within a tier, rounded by {rounding} → {got}":
    "{short}：按档位从高到低投放，同档均分，按 {rounding} 取整 → {got}",
    "{short}: shared in proportion to the tier weight {weight}, rounded by {rounding} → {got}":
    "{short}：按档位权重 {weight} 比例分配，按 {rounding} 取整 → {got}",
    "{short}: every tier entitlement is divided by one common divisor λ and rounded by {rounding}":
    "{short}：各档位标准量除以同一个除数 λ，再按 {rounding} 取整", "{how} → {got}": "{how} → {got}",
    "{how} ({lam}): {step} → {got}": "{how}（{lam}）：{step} → {got}",
    "λ = {x}, the only divisor that gives every quota of this product": "λ = {x}，是唯一能得出该品规全部投放量的除数",
    "any λ from {low} to {high} gives every quota of this product": "λ 取 {low} 到 {high} 之间任意值都能得出该品规的全部投放量",
    "{entitlement} / λ = {x} lies on the boundary between {k} and {next}, a tie decided by the seeded tie-break key":
    "{entitlement} / λ = {x} 恰在 {k} 与 {next} 的分界上，由带种子的决胜键决定",
    "{entitlement} / λ ≈ {x} rounds to {k}": "{entitlement} / λ ≈ {x} 取整为 {k}",
    ", more than the claim {claim}": "，超过应得量 {claim}", ", raised to the floor (min_per_client {n})": "，提高到下限（min_per_client {n}）",
    "locked at {quota} by {by} ({reason}; {at}) → quota {quota}": "由 {by} 锁定为 {quota}（{reason}；{at}） → 投放量 {quota}",
    "{units} assigned by {owner} ({reason}; {at})": "{owner} 分配 {units}（{reason}；{at}）",
    "{sentence}; plus {given} → quota {total}": "{sentence}；另加 {given} → 投放量 {total}",
    "{file}: row {row}, column {column}": "{file}：第 {row} 行，列 {column}",
    # the report: head and contents
    "{name} · allocation report": "{name} · 货源投放报告", "Allocation report": "货源投放报告",
    "period": "周期", "seed": "随机种子", "{n} clients": "客户 {n} 户", "ladders": "档位序列", "products": "品规",
    "variants incl. base": "方案（含基准）", "scenario": "方案文件", "snapshot": "客户数据", "tiering": "分档规则",
    "allocation": "投放规则", "{n} rows": "{n} 行", "Contents": "目录", "Alerts": "预警", "Supply": "货源",
    "Variants side by side": "方案并列对比", "Cartons per shop": "每户投放量", "Tiers": "档位",
    "Summary tables": "汇总表",
    # the report: supply and variants
    "supply ×": "货源 ×", "per client": "每户定量", "rounding": "取整方法", "thresholds": "分档阈值",
    "no changes": "无改动", "none": "无", "rule files as written": "按规则文件", "Variants": "方案",
    "Supply by product and variant": "各品规、各方案的货源", "allocated of supply": "投放占货源",
    # the report: tiers
    "Clients per tier, ladder {ladder}": "各档位客户数，档位序列 {ladder}", "Clients per tier": "各档位客户数",
    "Tier migration": "档位变动",
    "Rows: tier after the previous review (<i>new</i>: no previous tier); columns: tier now. The outlined "
    "diagonal kept its tier; right of it moved down, left of it up.": "行：上期评定后的档位（<i>新</i>：无上期档位）；"
    "列：本期档位。加框的对角线为档位不变；其右为降档，其左为升档。",
    "previous tier → tier": "上期档位 → 本期档位", "before ↓ now →": "上期 ↓ 本期 →",
    "Tier changes in {name}": "{name} 的档位变化", "Rows: tier in base; columns: tier in {name}.":
    "行：基准中的档位；列：{name} 中的档位。", "base → {name}": "基准 → {name}", "base ↓ variant →": "基准 ↓ 方案 →",
    "new": "新", "{tier} (off ladder)": "{tier}（不在序列中）",
    # the report: a product
    "policy": "投放方法", "target": "投放目标", "shape": "形状", "orders from": "订单列",
    "at most {n} per client": "每户最多 {n}", "at least {n} per ordering client": "有订单的客户每户至少 {n}",
    "every value": "全部取值", "{n} chosen": "选定 {n} 个", ", pools by {weights}": "，按 {weights} 分池",
    ", weighted pools": "，按权重分池", "segments by": "区域划分", "{what} per tier and variant, {product}":
    "{product}：各档位、各方案的{what}", "Fill rate": "订单满足率", "allocated ÷ ordered": "投放量 ÷ 订单量",
    "Stock-out rate": "断货率", "share of ordering clients that got nothing": "有订单但未获投放的客户占比",
    "Allocated": "投放量", "no orders known, so no fill rates": "无订单数据，故无满足率",
    "{product}, {variant}, {ladder} {tier}: clients by quota": "{product}，{variant}，{ladder} {tier}：按投放量的客户数",
    "Quota distribution": "投放量分布", "{product}: quota per client": "{product}：每户投放量", "range": "范围",
    "clients by quota": "按投放量的客户数", "Same quotas as base: {names}.": "与基准投放量相同：{names}。",
    "quota {low}": "投放量 {low}", "quota {low}–{high}": "投放量 {low}–{high}",
    "{n} client": "{n} 户", "{n} unit": "{n} 条", "{n} units": "{n} 条",
    # the report: not allocated, summaries
    "Not allocated: {n} plans": "未投放：{n} 个计划",
    "Exactly the rows of each variant's <code>summary.csv</code>; each cell's CSV text is in its "
    "<code>data-value</code> attribute.": "与各方案 <code>summary.csv</code> 的行完全一致；每个单元格的 CSV 原文在其 "
    "<code>data-value</code> 属性中。",
    # the report: metrics, side by side, alerts
    "fill rate": "订单满足率", "top 10 %": "前10%集中度", "full fill rate": "订足面", "gap rate": "需求缺口率",
    "top 10% share": "前10%集中度", "fill-rate gap between tiers": "档位间订单满足率差",
    "订单满足率: allocated ÷ ordered": "订单满足率：投放量 ÷ 订单量",
    "订足面: share of the ordering clients whose order was fully met": "订足面：订单被全部满足的客户占有订单客户的比例",
    "投放面: share of the clients that got more than 0": "投放面：获得投放（大于0）的客户占比",
    "需求缺口率: (ordered − allocated) ÷ ordered": "需求缺口率：（订单量 − 投放量）÷ 订单量",
    "share of the units held by the top 10 % of clients by quota": "投放量最多的前10%客户所得份额",
    "Gini coefficient of the quotas: 0 when all are equal": "投放量的基尼系数：全部相同时为0",
    "all tiers": "全部档位", "Metrics": "指标", "{product}: the field's metrics per tier, base": "{product}：各档位指标（基准）",
    "figure": "指标", "Each product as a whole (its <code>product</code> line in summary.csv): base and every variant.":
    "各品规整体（summary.csv 中的 <code>product</code> 行）：基准与各方案。",
    "Variants side by side, per product": "各品规的方案并列对比", "No threshold was crossed.": "没有超过任何阈值。",
    "{n} alert": "{n} 条预警", "{n} alerts": "{n} 条预警", "no alerts": "无预警", "Alerts: {count}": "预警：{count}",
    "Thresholds": "阈值", "below": "低于", "above": "高于",
    # the report: cartons per shop
    "Cartons per shop by tier and brand, base": "各档位、各品规每户投放量（基准）",
    " (brands {first}–{last} of {n})": "（品规 {first}–{last}，共 {n} 个）",
    "A tier-amounts product shows its amount per shop of the tier; other products the quota its shops got "
    "(min–max where they differ). – : the brand has no shop there. Shops: the tier's shops for the first brand "
    "that has the row.": "按档位定量的品规显示该档每户投放量；其他品规显示该档客户所得投放量（不同时为最小–最大）。"
    "–：该品规在此无客户。客户数：该行第一个品规的该档客户数。",
    # the report: managers' budgets, assignments and locks
    "Managers’ budgets, assignments and locks": "客户经理额度、分配与锁定", "Budgets": "额度", "owner": "客户经理",
    "budget": "额度", "assigned": "已分配", "what is left": "余量去向", "released to the policy": "退回按规则投放",
    "kept": "保留", "Assignments ({n}, {file})": "分配（{n} 条，{file}）", "client": "客户", "units": "数量",
    "Locks ({n}, {file})": "锁定（{n} 条，{file}）", "by": "操作人",
    # the report: footer
    "allocator {version} · scenario": "allocator {version} · 方案文件",
}  # fmt: skip


# The notes of summary.csv (pipeline/summaries.py, allocation.py, amounts.py, segments.py): English
# template -> Chinese. summary.csv keeps the English (programs read it); note_text() says a note in
# Chinese where people read it. A note is one or more of these, joined by "; ".
NOTES: dict[str, str] = {
    "held for {owner}": "为 {owner} 预留", "supply {supply}, available {available}": "货源 {supply}，可投放 {available}",
    "amount {amount}": "每户 {amount} 条", "not in the chosen segments: quota 0": "不在选定区域内：投放量 0",
    "min_per_client {n} not applied: {needed} needed, {available} available":
    "未执行 min_per_client {n}：需要 {needed}，可投放 {available}",
    "pool {pool}, ladder {ladder}: spread {spread} between segments (proven smallest)":
    "投放池 {pool}，档位序列 {ladder}：区域间差距 {spread}（已证明最小）",
    "pool {pool}, ladder {ladder}: spread {spread} between segments (the smallest found, not proven)":
    "投放池 {pool}，档位序列 {ladder}：区域间差距 {spread}（找到的最小值，未证明）",
    "pool {pool}, ladder {ladder}: spread {spread} between segments (proven smallest; the tie-break among such "
    "plans is not proven)": "投放池 {pool}，档位序列 {ladder}：区域间差距 {spread}（已证明最小；同类方案间的取舍未证明）",
    "pool {pool}, ladder {ladder}: spread {spread} between segments (the smallest found, not proven; the tie-break "
    "among such plans is not proven)": "投放池 {pool}，档位序列 {ladder}：区域间差距 {spread}（找到的最小值，未证明；同类方案间的取舍未证明）",
    "no client is in a segment: the {supply} units are left": "没有客户在区域内：{supply} 条未分配",
    "pool {pool}: no client, its {supply} units are left": "投放池 {pool}：没有客户，其 {supply} 条未分配",
    "{owner}: budget {units}, assigned {assigned} to 1 client, {left} released to the policy":
    "{owner}：额度 {units}，已分配 {assigned} 给 1 户，{left} 退回按规则投放",
    "{owner}: budget {units}, assigned {assigned} to {clients} clients, {left} released to the policy":
    "{owner}：额度 {units}，已分配 {assigned} 给 {clients} 户，{left} 退回按规则投放",
    "{owner}: budget {units}, assigned {assigned} to 1 client, {left} kept": "{owner}：额度 {units}，已分配 {assigned} 给 1 户，{left} 保留",
    "{owner}: budget {units}, assigned {assigned} to {clients} clients, {left} kept":
    "{owner}：额度 {units}，已分配 {assigned} 给 {clients} 户，{left} 保留",
    "1 quota locked, 1 unit (counted in the tier lines)": "锁定 1 户，1 条（已计入档位行）",
    "1 quota locked, {units} units (counted in the tier lines)": "锁定 1 户，{units} 条（已计入档位行）",
    "{quotas} quotas locked, 1 unit (counted in the tier lines)": "锁定 {quotas} 户，1 条（已计入档位行）",
    "{quotas} quotas locked, {units} units (counted in the tier lines)": "锁定 {quotas} 户，{units} 条（已计入档位行）",
    "reserve {reserve}, assigned {assigned}": "预留 {reserve}，已分配 {assigned}",
    "reserve {reserve}, assigned {assigned}, released {released} to the policy":
    "预留 {reserve}，已分配 {assigned}，{released} 退回按规则投放",
    "reserve {reserve}, assigned {assigned}, kept {kept} ({owners})": "预留 {reserve}，已分配 {assigned}，保留 {kept}（{owners}）",
    "reserve {reserve}, assigned {assigned}, released {released} to the policy, kept {kept} ({owners})":
    "预留 {reserve}，已分配 {assigned}，{released} 退回按规则投放，保留 {kept}（{owners}）",
    "not allocated: {reason} (row {row}, {name}, {method})": "未投放：{reason}（第 {row} 行，{name}，{method}）",
    "method {method} is not in plans.methods": "投放方法 {method} 不在 plans.methods 中",
    "tag {tag} is not in plans.tags": "标签 {tag} 不在 plans.tags 中",
    "remark {remark} is not in plans.remarks (a remark may change amounts)": "备注 {remark} 不在 plans.remarks 中（备注可能改变投放量）",
}  # fmt: skip
_COUNTS = frozenset({"supply", "available", "amount", "n", "needed", "spread", "units", "assigned", "left", "clients",
                     "quotas", "reserve", "released", "kept", "row"})  # fmt: skip
_FIELD = re.compile(r"\{(\w+)\}")


def _note_pattern(template: str) -> re.Pattern[str]:
    """A note template as a regex matched from a position: counts as numbers, other fields as any
    text, the whole ending at "; " (the next note) or at the end."""
    parts, at = [], 0
    for m in _FIELD.finditer(template):
        kind = r"-?\d+" if m.group(1) in _COUNTS else ".+?"
        parts += [re.escape(template[at : m.start()]), f"(?P<{m.group(1)}>{kind})"]
        at = m.end()
    return re.compile("".join([*parts, re.escape(template[at:])]) + "(?=; |$)")


# the template with the most words of its own first: "reserve 5, assigned 3, kept 2 (li 2)" is one note
_NOTES = [(_note_pattern(en), zh) for en, zh in sorted(NOTES.items(), key=lambda kv: -len(_FIELD.sub("", kv[0])))]


def note_text(note: str, lang: str) -> str:
    """A note of summary.csv in `lang`: each of its "; "-joined notes as the catalogue says (ids,
    names and numbers carried over), a note the catalogue does not know as it is; unchanged in en."""
    if lang == "en" or not note:
        return note
    said, at = [], 0
    while at < len(note):
        for pattern, zh in _NOTES:
            found = pattern.match(note, at)
            if found:
                fields = {k: note_text(v, lang) if k == "reason" else v for k, v in found.groupdict().items()}
                said.append(zh.format(**fields))
                at = found.end() + 2
                break
        else:
            end = note.find("; ", at)
            end = len(note) if end < 0 else end
            said.append(note[at:end])
            at = end + 2
    return "；".join(said)


class Said(str):
    """A phrase of PHRASES with its fields filled: a str of its English text (what English output
    and the batch log show), which can also be said in another language (`in_lang`). A field may
    be a Said itself, said in the same language; other fields are carried over as they are."""

    template: str
    fields: dict[str, Any]

    def __new__(cls, template: str, **fields: Any) -> Said:
        said = super().__new__(cls, phrase(template, "en", **fields))
        said.template, said.fields = template, fields
        return said

    def in_lang(self, lang: str) -> str:
        """The phrase in `lang`, its Said fields in `lang` too."""
        shown = {k: v.in_lang(lang) if isinstance(v, Said) else v for k, v in self.fields.items()}
        return phrase(self.template, lang, **shown)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_said, (self.template, self.fields))


def _said(template: str, fields: dict[str, Any]) -> Said:
    return Said(template, **fields)


def said_in(text: str, lang: str) -> str:
    """`text` in `lang` when it is a Said (an alert line, say), else as it is."""
    return text.in_lang(lang) if isinstance(text, Said) else text

def phrase(text: str, lang: str = "en", **fields: object) -> str:
    """`text` (an English phrase of PHRASES) in `lang`, its {fields} filled; a phrase missing from
    the catalogue in zh is a bug (tests/lang renders every output in zh)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; the labels speak {', '.join(LANGUAGES)}")
    chosen = text if lang == "en" else PHRASES[text]
    return chosen.format(**fields) if fields else chosen


def words(lang: str) -> Callable[..., str]:
    """phrase() bound to `lang`: `w = words("zh"); w("{n} rows", n=3)`."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; the labels speak {', '.join(LANGUAGES)}")
    return lambda text, **fields: phrase(text, lang, **fields)


def label(key: str, lang: str = "en") -> str:
    """The text of label `key` in `lang` ("en" or "zh"); an unknown key or language is a bug."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; the labels speak {', '.join(LANGUAGES)}")
    return LABELS[key][lang]
