"""User-error messages in Chinese: one catalogue of English templates with named fields, each with
its Chinese template, and the language a command speaks.

A message is matched against the English templates whole; the named fields (file names, rows,
columns, keys and values quoted from files) are carried over as they are and only the sentence
around them is translated. A message no template matches is shown in English, as it was.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from allocator.errors import AllocatorError
from allocator.inputs.rule_files import read_source

MAX_SCENARIO_BYTES = 1 << 20  # a scenario is a short YAML file; a larger one is not peeked at


def scenario_lang(path: Path | None, sha256: str | None = None) -> str | None:
    """The `lang` a scenario file sets ("en" or "zh"), or None when it sets none or cannot be
    read (its own errors are reported by the command); with `sha256`, only if the file still has it."""
    if path is None:
        return None
    try:
        if not path.is_file() or path.stat().st_size > MAX_SCENARIO_BYTES:
            return None
        if sha256 is not None and hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
            return None
        data = read_source(path).doc.data
    except (AllocatorError, OSError, ValueError):
        return None
    lang = data.get("lang") if isinstance(data, dict) else None
    return lang if lang in ("en", "zh") else None


# English template -> Chinese template. {fields} stand for what is quoted from the files (names,
# values, numbers, lists); a field never spans ": ", so a message is found after its location.
MESSAGES: dict[str, str] = {
    # YAML and the rule files as files
    "the file is empty": "文件为空",
    "the file is {size} bytes; rule and scenario files are limited to {limit}": "文件有 {size} 字节；规则和方案文件最多 {limit} 字节",
    "not UTF-8 text (byte {byte} at offset {offset})": "不是 UTF-8 文本（偏移 {offset} 处的字节 {byte}）",
    "more than {n} values (after expanding aliases); refusing": "值超过 {n} 个（展开别名后）；拒绝读取",
    "nested deeper than {n} levels; refusing": "嵌套超过 {n} 层；拒绝读取",
    "duplicate key {key} (first defined on line {line})": "重复的键 {key}（首次定义于第 {line} 行）",
    "YAML tag {tag} is not allowed in a rule file": "规则文件中不允许使用 YAML 标签 {tag}",
    "a tab in the indentation; YAML indents with spaces": "缩进中有制表符；YAML 只能用空格缩进",
    "not valid YAML: {detail}": "不是有效的 YAML：{detail}",
    "no such file: {file}": "文件不存在：{file}",
    "this is an {found} file, but a {needed} file is needed here": "这是 {found} 文件，但此处需要 {needed} 文件",
    "this is a {found} file, but an {needed} file is needed here": "这是 {found} 文件，但此处需要 {needed} 文件",
    "this is a {found} file, but a {needed} file is needed here": "这是 {found} 文件，但此处需要 {needed} 文件",
    # keys and types
    "unknown key": "未知的键",
    "missing required key {key}": "缺少必需的键 {key}",
    "missing required key {key} (one of {choices})": "缺少必需的键 {key}（可选 {choices}）",
    "{value} is not one of {choices}": "{value} 不是 {choices} 之一",
    "expected a mapping, got {value}": "应为映射（键: 值），实际为 {value}",
    "expected a list, got {value}": "应为列表，实际为 {value}",
    "expected a number, got {value} (a boolean)": "应为数字，实际为 {value}（布尔值）",
    "expected a whole number, got {value} (a boolean)": "应为整数，实际为 {value}（布尔值）",
    "expected a whole number, got {value}": "应为整数，实际为 {value}",
    "expected a finite number, got {value}": "应为有限数字，实际为 {value}",
    "must be a finite number, got {value}": "必须是有限数字，实际为 {value}",
    "must be at least {min}, got {value}": "不能小于 {min}，实际为 {value}",
    "{word} was read as {value} (a boolean); write {quoted} in quotes for the text": "{word} 被读作 {value}（布尔值）；作为文本请加引号写成 {quoted}",
    "{word} is read as {value} by YAML 1.1 tools; write {value}, or quote it ({quoted}) for text": "{word} 会被 YAML 1.1 工具读作 {value}；请写 {value}，或作为文本加引号（{quoted}）",
    # tiering rules
    "'between' needs low <= high, got {got}": "'between' 要求下限 <= 上限，实际为 {got}",
    "{field} is not a category field": "{field} 不是分类字段",
    "unknown value {value}": "未知的取值 {value}",
    "default_tier: tier {tier} is not on ladder {ladder}; its tiers are {tiers}": "default_tier：档位 {tier} 不在档位序列 {ladder} 中；其档位为 {tiers}",
    "tier {tier} is not on ladder {ladder}; its tiers are {tiers}": "档位 {tier} 不在档位序列 {ladder} 中；其档位为 {tiers}",
    "unknown tier {tier}": "未知的档位 {tier}",
    "unknown ladder {ladder}": "未知的档位序列 {ladder}",
    "give exactly one of 'demote' or 'promote'": "'demote' 和 'promote' 必须且只能给出一个",
    "{field} is a category field; arithmetic needs numbers": "{field} 是分类字段；算术运算需要数字",
    "expected a number, a column name or '(' but found {found} at character {at} of {text}": "{text} 的第 {at} 个字符处应为数字、列名或 '('，实际为 {found}",
    "unexpected character {found} at character {at} of {text}": "{text} 的第 {at} 个字符处有意外的字符 {found}",
    "unknown column {column} at character {at} of {text}": "{text} 的第 {at} 个字符处有未知的列 {column}",
    "duplicate rule id {id} (first used at {where}, line {line})": "重复的规则编号 {id}（首次用于 {where}，第 {line} 行）",
    "unknown field {field}": "未知的字段 {field}",
    "the ladder is empty; list its tiers, best first": "档位序列为空；请列出其档位，最好的在前",
    "{name} cannot be a field name: in `when:` it combines conditions (all, any, not); rename the column": "{name} 不能作字段名：在 `when:` 中它用于组合条件（all、any、not）；请重命名该列",
    "{name}: names starting with '_' are kept for the tool's own columns; choose another": "{name}：以 '_' 开头的名称留给工具自己的列；请另选名称",
    "'in' takes a non-empty list, got an empty list": "'in' 需要非空列表，实际为空列表",
    "market value {value} has no ladder": "market 取值 {value} 没有档位序列",
    "{field} value {value} has no ladder": "{field} 取值 {value} 没有档位序列",
    "no client has {field} {value}": "没有客户的 {field} 为 {value}",
    "{op} compares numbers, but this field is a category": "{op} 比较数字，但此字段是分类字段",
    "unknown operator {op}": "未知的运算符 {op}",
    "it has too many `any`, `in` and negated parts for the rule engine (more than {n} alternatives)": "其 `any`、`in` 和否定部分过多，规则引擎无法处理（超过 {n} 种组合）",
    # allocation rules
    "policy tier_amounts with several ladders needs 'ladder_split', how the supply is divided between {ladders}": "多个档位序列的 tier_amounts 投放方法需要 'ladder_split'，即货源如何在 {ladders} 之间分配",
    "ladder {ladder} has no share; give every ladder one (0 keeps it out)": "档位序列 {ladder} 没有份额；请为每个档位序列给出份额（0 表示不参与）",
    "'ladder_split' applies to policy tier_amounts, not {policy}": "'ladder_split' 只适用于 tier_amounts 投放方法，不适用于 {policy}",
    "say who holds the reserve with exactly one of 'owner', 'owners' or 'by_segment'; it gives none": "请用 'owner'、'owners' 或 'by_segment' 之一说明预留由谁持有；目前一个也没有",
    "give exactly one of 'share' or 'amount'": "'share' 和 'amount' 必须且只能给出一个",
    "{tier} ({n}) gets more than the better tier {better} ({m}) on ladder {ladder}": "档位序列 {ladder} 中 {tier}（{n}）比更好的档位 {better}（{m}）得到更多",
    "no value for tier {tier} of ladder {ladder}": "档位序列 {ladder} 的档位 {tier} 没有取值",
    "{field} is a number field; segments need category fields": "{field} 是数字字段；区域划分需要分类字段",
    "{value} is not a value of {field}": "{value} 不是 {field} 的取值",
    "segment {value} is chosen twice (first at {where})": "区域 {value} 被选了两次（首次在 {where}）",
    "a segment here is a list of {n} values ({fields})": "此处的区域是由 {n} 个值组成的列表（{fields}）",
    "the weights must name the values of one of {fields}; {value} is not a value of any of them": "权重必须以 {fields} 之一的取值命名；{value} 不是其中任何一个的取值",
    "weights by orders need the product's order_column": "按订单量分配权重需要该品规的 order_column",
    "a multiplier applies to policy tier_amounts or per_tier": "multiplier 只适用于 tier_amounts 或 per_tier 投放方法",
    # scenarios
    "period {period} cannot be ordered; use a year (2026), a quarter (2026Q4 or 2026-Q4), a month (2026-09 or 202609), a week (2026W10 or 2026-W10, ISO weeks) or a date (2026-09-14)": "周期 {period} 无法排序；请用年份（2026）、季度（2026Q4 或 2026-Q4）、月份（2026-09 或 202609）、周（2026W10 或 2026-W10，ISO 周）或日期（2026-09-14）",
    "variants {a} and {b} would share the output folder {folder}; rename one": "方案 {a} 和 {b} 会共用输出文件夹 {folder}；请重命名其中一个",
    "give one factor per product, like supply_factor: {example}": "请为每个品规给出一个系数，例如 supply_factor: {example}",
    "unknown rule id {id}": "未知的规则编号 {id}",
    "rule {id} has no value at {path}; write the path of a threshold, like {example}": "规则 {id} 在 {path} 处没有取值；请写出阈值的路径，例如 {example}",
    "{path} is a condition, not a threshold; write the path down to its operator, like {example}": "{path} 是条件而不是阈值；请把路径写到运算符，例如 {example}",
    "replaces {old} with {new}; a threshold keeps its kind (a number, text or a list)": "用 {new} 替换 {old}；阈值须保持原类型（数字、文本或列表）",
    "the snapshot has no column {column}": "客户数据中没有列 {column}",
    # snapshots (CSV)
    "not UTF-8 text (byte {byte} at offset {offset}); it looks like GBK/GB18030 (Chinese Excel): declare it in the scenario, snapshot: {setting}, or save it as \"CSV UTF-8\"": "不是 UTF-8 文本（偏移 {offset} 处的字节 {byte}）；看起来是 GBK/GB18030（中文 Excel）：请在方案中声明 snapshot: {setting}，或另存为“CSV UTF-8”",
    "UTF-8 text (byte {byte} at offset {offset}), but the scenario declares encoding: {encoding}; leave the encoding out (UTF-8 is the default)": "是 UTF-8 文本（偏移 {offset} 处的字节 {byte}），但方案声明了 encoding: {encoding}；请删去 encoding（默认即 UTF-8）",
    "missing column {column}": "缺少列 {column}",
    "the columns are: {columns} and {n} the rules do not read": "现有列：{columns}，另有 {n} 列规则不读取",
    "the columns are: {columns}": "现有列：{columns}",
    "duplicate client id {id} (first on row {row})": "重复的客户编号 {id}（首次出现在第 {row} 行）",
    "{value} is below the minimum {min}": "{value} 小于最小值 {min}",
    "{value} is above the maximum {max}": "{value} 大于最大值 {max}",
    "{value} is not a number": "{value} 不是数字",
    "{value} is not a whole number": "{value} 不是整数",
    "no client rows (only a header)": "没有客户行（只有表头）",
    "{n} values, but the header has {m} columns": "有 {n} 个值，但表头有 {m} 列",
    "empty, but this column may not be empty": "为空，但此列不能为空",
    # managers' assignments and locks (inputs/manual.py, pipeline/manual.py)
    "the same owner, client and product as row {row}; give each one row": "客户经理、客户和品规与第 {row} 行相同；每项只写一行",
    "client {client}'s {product} quota is locked at {quota} ({where}); an assignment cannot add to a locked quota": "客户 {client} 的 {product} 投放量已锁定为 {quota}（{where}）；分配不能增加已锁定的投放量",
    "... and {n} more problems": "……另有 {n} 个问题",
    "column {column} appears {n} times": "列 {column} 出现了 {n} 次",
    "{n} rows; at most {max} are read": "共 {n} 行；最多读取 {max} 行",
    "unknown product {product}": "未知的品规 {product}",
    "unknown client {client} (not in the snapshot)": "未知的客户 {client}（不在客户数据中）",
    "{owner} holds no budget of {product}; its owners are {owners}": "{owner} 没有 {product} 的额度；其持有人为 {owners}",
    "{owner} holds no budget of {product}; it has no reserve": "{owner} 没有 {product} 的额度；该品规没有预留",
    "unknown owner {owner}: no product of the allocation file has a reserve with owners": "未知的客户经理 {owner}：投放规则中没有品规的预留设有持有人",
    "unknown owner {owner}; owners are {owners}": "未知的客户经理 {owner}；客户经理有 {owners}",
    "unknown owner {owner}": "未知的客户经理 {owner}",
    "{value} is not a positive whole number of units": "{value} 不是正整数数量",
    "{value} is not a whole number of units, 0 or more": "{value} 不是大于等于 0 的整数数量",
    "{value} is not a positive whole number of units (at most {max})": "{value} 不是正整数数量（最多 {max}）",
    "{value} is not a whole number of units, 0 or more (at most {max})": "{value} 不是大于等于 0 的整数数量（最多 {max}）",
    "empty; give a positive whole number of units": "为空；请给出正整数数量",
    "empty; give a whole number of units, 0 or more": "为空；请给出大于等于 0 的整数数量",
    "empty; give the reason (it goes into the ledger)": "为空；请给出原因（将记入台账）",
    "{n} characters; a reason may have at most {max}": "共 {n} 个字符；原因最多 {max} 个字符",
    "a second lock of the same quota (first at {where})": "同一投放量的第二个锁定（首次在 {where}）",
    "client {client} is in {segment}, and {owner}'s budget of {product} is for {theirs}": "客户 {client} 属于 {segment}，而 {owner} 的 {product} 额度用于 {theirs}",
    "client {client} {why}; an assignment cannot give it units": "客户 {client} {why}；分配不能给它投放量",
    "{owner}: {total} units of {product} assigned{pool}, budget {budget} (rows {rows})": "{owner}：已分配 {product} {total} 条{pool}，额度 {budget}（第 {rows} 行）",
    "the locks of {product}{inside} hold {total} units, more than the {supply} the policy has to share (the supply less the reserve)": "{product}{inside} 的锁定共 {total} 条，超过按规则可分配的 {supply} 条（货源减去预留）",
    "client {client} would get {units} of {product} by assignment, above {cap}": "客户 {client} 通过分配将得到 {product} {units}，超过{cap}",
    "client {client} {why}; a lock cannot give it {units}": "客户 {client} {why}；锁定不能给它 {units}",
    "a lock of {units} is above {cap}": "锁定 {units}，超过{cap}",
    # the run ledger: approve, publish, batch --supersede, runs, history (outputs/ledger*.py, commands/)
    "{named} cannot be approved: it failed ({detail}); only a run that finished ok can be": "{named} 无法批准：运行失败（{detail}）；只有成功完成的运行才能批准",
    "{named} cannot be published: it failed ({detail}); only a run that finished ok can be": "{named} 无法发布：运行失败（{detail}）；只有成功完成的运行才能发布",
    "{named} cannot be approved: it has not finished (status {status}); only a run that finished ok can be": "{named} 无法批准：运行尚未完成（状态 {status}）；只有成功完成的运行才能批准",
    "{named} cannot be published: it has not finished (status {status}); only a run that finished ok can be": "{named} 无法发布：运行尚未完成（状态 {status}）；只有成功完成的运行才能发布",
    "{named} cannot be approved: it is already {state}": "{named} 无法批准：该运行{state}",
    "{named} cannot be published: it was {state}": "{named} 无法发布：该运行{state}",
    "{named} cannot be published: it is a draft; approve it first (allocator approve {run} --ledger LEDGER --by NAME)": "{named} 无法发布：它是草稿；请先批准（allocator approve {run} --ledger LEDGER --by NAME）",
    "{named} cannot be approved: run {rival} is already {state}, and a scenario has one approved run per period; to replace run {rival}, batch again with --supersede {rival} --reason TEXT and approve that run": "{named} 无法批准：运行 {rival} {state}，而一个方案每个周期只有一个批准的运行；要替换运行 {rival}，请用 --supersede {rival} --reason TEXT 重新 batch 并批准那个运行",
    "{named} cannot be approved: its output folder {folder} is missing; batch the scenario again and approve that run": "{named} 无法批准：其输出文件夹 {folder} 不存在；请重新 batch 该方案并批准那个运行",
    "{named} cannot be approved: its output folder {folder} is not as the run left it:": "{named} 无法批准：其输出文件夹 {folder} 已不是运行结束时的样子：",
    "{named} cannot be published: its output folder {folder} is not as the run left it:": "{named} 无法发布：其输出文件夹 {folder} 已不是运行结束时的样子：",
    "{scenario} already has an approved run for {when}: run {run}, {state}; to replace it, give --supersede {run} --reason TEXT": "{scenario} 在{when} 已有批准的运行：运行 {run}，{state}；要替换它，请给出 --supersede {run} --reason TEXT",
    "that is not the run to replace; {scenario} already has an approved run for {when}: run {run}, {state}; to replace it, give --supersede {run} --reason TEXT": "这不是要替换的运行；{scenario} 在{when} 已有批准的运行：运行 {run}，{state}；要替换它，请给出 --supersede {run} --reason TEXT",
    "{scenario} has no approved or published run for {when} to supersede; leave out --supersede and --reason": "{scenario} 在{when} 没有可取代的已批准或已发布运行；请去掉 --supersede 和 --reason",
    "{scenario} has no approved or published run for period {period} to supersede (the ledger {ledger} holds no runs yet); leave out --supersede and --reason": "{scenario} 在周期 {period} 没有可取代的已批准或已发布运行（台账 {ledger} 还没有任何运行）；请去掉 --supersede 和 --reason",
    "refusing to replace this folder with the outputs: it holds the outputs of {named}, which is {state}, and approved and published runs never change; give --out another folder": "拒绝用输出替换此文件夹：其中是{named}的输出，该运行{state}，而已批准和已发布的运行永不改变；请为 --out 另选文件夹",
    "no run of this ledger has a client {client}": "此台账中没有任何运行含有客户 {client}",
    "not a run ledger: it is a folder; give --ledger a new file or an allocator ledger": "不是运行台账：这是文件夹；请给 --ledger 一个新文件或 allocator 的台账",
    "not a run ledger: it is not a regular file; give --ledger a new file or an allocator ledger": "不是运行台账：这不是普通文件；请给 --ledger 一个新文件或 allocator 的台账",
    "not a run ledger: the file is not an SQLite database; give --ledger a new file or an allocator ledger": "不是运行台账：该文件不是 SQLite 数据库；请给 --ledger 一个新文件或 allocator 的台账",
    "not a run ledger: an SQLite database that allocator did not create; give --ledger a new file or an allocator ledger": "不是运行台账：这是并非 allocator 创建的 SQLite 数据库；请给 --ledger 一个新文件或 allocator 的台账",
    "not a run ledger: {detail}; give --ledger a new file or an allocator ledger": "不是运行台账：{detail}；请给 --ledger 一个新文件或 allocator 的台账",
    "no such run ledger; give --ledger the ledger a batch wrote": "运行台账不存在；请给 --ledger 由 batch 写出的台账",
    "cannot open the run ledger: {detail}": "无法打开运行台账：{detail}",
    "a run ledger of a newer format ({version}; this allocator knows {format}); use a newer allocator": "更新格式的运行台账（{version}；此 allocator 只认识 {format}）；请使用更新版本的 allocator",
    "there is no run {run}: the ledger holds no runs yet": "没有运行 {run}：台账中还没有任何运行",
    "there is no run {run}; the ledger holds run {held}": "没有运行 {run}；台账中有运行 {held}",
    "there is no run {run}; the ledger holds runs {held}": "没有运行 {run}；台账中有运行 {held}",
    "there is no run {run}; the latest runs are {latest} (of {n}); allocator runs --ledger {shown} lists them all": "没有运行 {run}；最近的运行是 {latest}（共 {n} 个）；allocator runs --ledger {shown} 可列出全部",
    "--{option} is empty: say who acts (a name)": "--{option} 为空：请说明由谁操作（一个名字）",
    "--{option} is empty": "--{option} 为空",
    "--{option} is {n} characters long; at most {limit}": "--{option} 有 {n} 个字符；最多 {limit} 个",
    "--reason is empty: say why run {run} is superseded": "--reason 为空：请说明运行 {run} 为什么被取代",
    "sha256 {digest}, but the ledger recorded {recorded}": "sha256 为 {digest}，但台账记录的是 {recorded}",
    "scenario sha256 {given}, but the ledger recorded {recorded}": "方案 sha256 为 {given}，但台账记录的是 {recorded}",
    "snapshot sha256 {given}, but the ledger recorded {recorded}": "客户数据 sha256 为 {given}，但台账记录的是 {recorded}",
    "tiering sha256 {given}, but the ledger recorded {recorded}": "分档规则 sha256 为 {given}，但台账记录的是 {recorded}",
    "allocation sha256 {given}, but the ledger recorded {recorded}": "投放规则 sha256 为 {given}，但台账记录的是 {recorded}",
    "period {given}, but the ledger recorded {recorded}": "周期为 {given}，但台账记录的是 {recorded}",
    "seed {given}, but the ledger recorded {recorded}": "种子为 {given}，但台账记录的是 {recorded}",
    # output folders and locks (outputs/folders.py, lock.py, run_folder.py, commands/publish.py)
    "refusing to replace this folder with the outputs: {places}; give --out a new or empty folder, or one that allocator wrote": "拒绝用输出替换此文件夹：{places}；请给 --out 一个新的或空的文件夹，或 allocator 写过的文件夹",
    "refusing to put the notice there: {places}; give --out a new or empty folder, or one that holds an earlier notice": "拒绝把通知放在这里：{places}；请给 --out 一个新的或空的文件夹，或存有之前通知的文件夹",
    "refusing to write the outputs there: it is the root of the file system": "拒绝把输出写到这里：这是文件系统的根目录",
    "refusing to write the outputs there: it is a file, not a folder": "拒绝把输出写到这里：这是文件，不是文件夹",
    "refusing to write the outputs there: it is a mount point; give a folder inside it": "拒绝把输出写到这里：这是挂载点；请给出其中的文件夹",
    "refusing to write the outputs there: the folder name is {n} bytes long, more than {limit} (its temporary and lock files need room under the file system's limit of 255)": "拒绝把输出写到这里：文件夹名有 {n} 字节，超过 {limit}（其临时文件和锁文件需要在文件系统 255 字节的限制内留出余地）",
    "{what} is in use by another allocator run ({holder}); waited {wait} s; try again later or give --wait SECONDS": "{what} 正被另一个 allocator 运行占用（{holder}）；已等待 {wait} 秒；请稍后再试，或给出 --wait SECONDS",
    "cannot write the outputs: {detail}": "无法写出输出：{detail}",
    "cannot write the notice: {detail}": "无法写出通知：{detail}",
    "variants {a} and {b} would share the output folder {folder}; give one of them another name": "方案 {a} 和 {b} 会共用输出文件夹 {folder}；请给其中一个另起名字",
    "{columns} is a column of quotas.csv already; keep another": "{columns} 已是 quotas.csv 的列；请保留其他列",
    # xlsx files and sheets (inputs/xlsx.py, sheet_files.py)
    "the file is {size} bytes; xlsx files are limited to {limit}": "文件有 {size} 字节；xlsx 文件最多 {limit} 字节",
    "the file has more than {limit} bytes; xlsx files are limited to {limit}": "文件超过 {limit} 字节；xlsx 文件最多 {limit} 字节",
    "cannot be read as an xlsx workbook: {detail}": "无法作为 xlsx 工作簿读取：{detail}",
    "cannot be read as an xlsx sheet: {detail}": "无法作为 xlsx 工作表读取：{detail}",
    "cannot be read as an xlsx sheet after row {row}: {detail}": "第 {row} 行之后无法作为 xlsx 工作表读取：{detail}",
    "cannot be read as an xlsx sheet in its first row: {detail}": "第一行就无法作为 xlsx 工作表读取：{detail}",
    "a row numbered {n}; Excel numbers rows from 1 to {limit}": "有一行的行号为 {n}；Excel 的行号从 1 到 {limit}",
    "row {row} comes after row {m}: rows out of order or repeated, which Excel never writes; open the file in Excel and save it again": "第 {row} 行出现在第 {m} 行之后：行的顺序错乱或重复，Excel 从不这样写；请用 Excel 打开该文件并重新保存",
    "a cell out of place (column {n} of row {row}, after column {m}), which Excel never writes; open the file in Excel and save it again": "位置错乱的单元格（第 {row} 行第 {n} 列，在第 {m} 列之后），Excel 从不这样写；请用 Excel 打开该文件并重新保存",
    "a cell in column {n}, beyond Excel's last column XFD": "第 {n} 列有单元格，超出了 Excel 的最后一列 XFD",
    "more than {n} cells (counting empty ones before a cell)": "单元格超过 {n} 个（包括单元格之前的空单元格）",
    "not an xlsx file: the file is empty": "不是 xlsx 文件：文件为空",
    "not an xlsx file: it is an Excel 97-2003 workbook (.xls) or a password-protected one; save it as \"Excel Workbook (.xlsx)\" without a password": "不是 xlsx 文件：这是 Excel 97-2003 工作簿（.xls）或有密码保护的工作簿；请不设密码另存为“Excel 工作簿 (.xlsx)”",
    "not an xlsx file: an xlsx file is a zip archive, and this file is not one": "不是 xlsx 文件：xlsx 文件是 zip 压缩包，而此文件不是",
    "not an xlsx file: it is text, not a zip archive as an xlsx file is; a CSV file must be named .csv": "不是 xlsx 文件：这是文本，不是 xlsx 文件那样的 zip 压缩包；CSV 文件必须以 .csv 结尾命名",
    "not an xlsx file: a damaged zip archive ({detail})": "不是 xlsx 文件：zip 压缩包已损坏（{detail}）",
    "not an xlsx file: a zip archive, but not an Excel workbook": "不是 xlsx 文件：是 zip 压缩包，但不是 Excel 工作簿",
    "refused: the archive has {n} members; an xlsx has a few dozen": "拒绝读取：压缩包有 {n} 个成员；xlsx 文件只有几十个",
    "refused: the archive would unpack to {n} bytes, above the limit of {limit} (this is how a zip bomb looks)": "拒绝读取：压缩包会解压出 {n} 字节，超过 {limit} 的限制（zip 炸弹就是这样）",
    "refused: {member} would unpack {n} bytes to {m}, more than {ratio} times (this is how a zip bomb looks)": "拒绝读取：{member} 会把 {n} 字节解压为 {m} 字节，超过 {ratio} 倍（zip 炸弹就是这样）",
    "the workbook has no worksheet (only chart sheets)": "工作簿中没有工作表（只有图表）",
    "sheet {sheet} is a chart sheet, not a worksheet; the sheets are: {sheets}": "{sheet} 是图表，不是工作表；现有工作表：{sheets}",
    "no sheet named {sheet} (the sheets are: {sheets})": "没有名为 {sheet} 的工作表（现有工作表：{sheets}）",
    "no sheet named {sheet}; did you mean {suggestion}? (the sheets are: {sheets})": "没有名为 {sheet} 的工作表；是否应为 {suggestion}？（现有工作表：{sheets}）",
    "{n} characters; a cell holds at most {limit}": "共 {n} 个字符；一个单元格最多 {limit} 个字符",
    "a value in column {letter}, right of the header's last column {last}": "第 {letter} 列有值，在表头最后一列 {last} 的右边",
    "a value in a column whose header (row {row}) is empty": "该列有值，但其表头（第 {row} 行）为空",
    "the sheet is empty; expected a header row, then one row per line of data": "工作表为空；应先有表头行，再每行一条数据",
    "unknown {sheet_kind} format {suffix}; use .xlsx or .csv": "未知的{sheet_kind}格式 {suffix}；请使用 .xlsx 或 .csv",
    "unknown {sheet_kind} format {suffix}; use .xlsx or .csv; save it as .xlsx (Excel 2007 or later)": "未知的{sheet_kind}格式 {suffix}；请使用 .xlsx 或 .csv；请另存为 .xlsx（Excel 2007 或更高版本）",
    "a CSV file has no sheets, but {key} is {sheet}; remove it": "CSV 文件没有工作表，但 {key} 为 {sheet}；请删去它",
    "the file is empty; expected a header row and {rows_are}": "文件为空；应有表头行，{rows_are}",
    "the file has more than {limit} bytes; {sheet_kinds} are limited to that": "文件超过 {limit} 字节；{sheet_kinds}最多这么大",
    # plan sheets (inputs/plan_sheets.py)
    "{value} stands for {target} (plans.aliases.{field}), which is not a {field}": "{value} 代表 {target}（plans.aliases.{field}），它不是 {field}",
    "{n} plans; a plan sheet may hold at most {limit}": "共 {n} 个计划；一张计划表最多 {limit} 个",
    "missing column {column} (plans.columns.{role})": "缺少列 {column}（plans.columns.{role}）",
    "column {column} appears {n} times (columns {listed}); rename all but one": "列 {column} 出现了 {n} 次（第 {listed} 列）；请只留一列，其余改名",
    "duplicate code {code} (first in row {row})": "重复的代码 {code}（首次在第 {row} 行）",
    "empty; every plan needs a method, one of {choices}": "为空；每个计划都需要投放方法，可选 {choices}",
    "{value} is not a whole number of cartons >= 0": "{value} 不是大于等于 0 的整数条数",
    "{value} is more than the largest supply, {limit}": "{value} 超过最大货源 {limit}",
    "empty, but {column} is {value}; give both grades or neither": "为空，但 {column} 为 {value}；请两个档位都给出或都不给",
    "{value} is not a tier": "{value} 不是档位",
    "{value} is not a tier of ladder {ladder}": "{value} 不是档位序列 {ladder} 的档位",
    "{high} is below the lowest grade {low}": "{high} 低于最低档位 {low}",
    "{high} is below the lowest grade {low} on ladder {ladder}": "档位序列 {ladder} 中 {high} 低于最低档位 {low}",
    "{value} means every client; it cannot be listed with other values": "{value} 表示所有客户；不能与其他取值一起列出",
    "{value} chooses segments, but {column} names no segment kind ({kinds}); name one there": "{value} 选择了区域，但 {column} 没有指定区域类型（{kinds}）；请在那里指定一个",
    "{value} chooses segments, but {column} names no segment kind ({kinds}); name one there, or write {everywhere} here": "{value} 选择了区域，但 {column} 没有指定区域类型（{kinds}）；请在那里指定一个，或在此处写 {everywhere}",
    "{value} is not a segment kind of plans.segment_fields": "{value} 不是 plans.segment_fields 中的区域类型",
    "empty; choose the segments of {kind}": "为空；请选择 {kind} 的区域",
    "empty; choose the segments of {kind} or write {everywhere}": "为空；请选择 {kind} 的区域，或写 {everywhere}",
    "{n} values; at most {limit} may be chosen; choose the segments of {kind}": "有 {n} 个值；最多可选 {limit} 个；请选择 {kind} 的区域",
    "{n} values; at most {limit} may be chosen; choose the segments of {kind} or write {everywhere}": "有 {n} 个值；最多可选 {limit} 个；请选择 {kind} 的区域，或写 {everywhere}",
    "{a} and {b} are the same segment": "{a} 和 {b} 是同一个区域",
    "{value} is chosen twice": "{value} 被选了两次",
    "more than {limit} segments; at most {limit} may be chosen": "区域超过 {limit} 个；最多可选 {limit} 个",
    "{value} needs its {fields} in parentheses, like {like}": "{value} 需要在括号中写明其 {fields}，例如 {like}",
    "{value} has no {field} in its parentheses": "{value} 的括号中没有 {field}",
    "plans.weights has shares for {fields}; a plan is split by one field only": "plans.weights 为 {fields} 都给了份额；一个计划只能按一个字段划分",
    "{value} has no share in plans.weights.{field}": "{value} 在 plans.weights.{field} 中没有份额",
    "unknown product key": "未知的品规键",
    # diff's rule sources and client list, cycles, the workbook's limits (review/, commands/, outputs/)
    "git is not installed": "未安装 git",
    "the current directory is not inside a git repository": "当前目录不在 git 仓库中",
    "unknown git revision {rev}": "未知的 git 版本 {rev}",
    "expected git:REV:PATH, e.g. git:HEAD~1:rules": "应为 git:REV:PATH，例如 git:HEAD~1:rules",
    "PATH leads down from the repository root, without '.' or '..' parts": "PATH 应从仓库根目录往下写，不含 '.' 或 '..'",
    "no file or folder {path} at revision {rev}": "版本 {rev} 中没有文件或文件夹 {path}",
    "{name} is a symbolic link in the commit; rule files are read from git only as regular files": "{name} 在该提交中是符号链接；规则文件只从 git 中的普通文件读取",
    "refusing the file name {name} in the commit: a rule file's name must be a plain name (no '/', '\\', NUL or control characters, not '.' or '..', not starting with '-')": "拒绝该提交中的文件名 {name}：规则文件名必须是普通名称（不含 '/'、'\\'、NUL 或控制字符，不是 '.' 或 '..'，不以 '-' 开头）",
    "no such file or folder": "文件或文件夹不存在",
    "a {kind} file; give a tiering or allocation file, or a folder of them": "这是 {kind} 文件；请给出分档或投放规则文件，或存放它们的文件夹",
    "not a rule file (no 'kind: tiering' or 'kind: allocation'); give a tiering or allocation file, or a folder of them": "不是规则文件（没有 'kind: tiering' 或 'kind: allocation'）；请给出分档或投放规则文件，或存放它们的文件夹",
    "several {rule_kind} files ({names}); give one file, or --scenario whose {rule_kind} file has one of these names": "有多个{rule_kind}文件（{names}）；请只给一个文件，或给出 --scenario，其{rule_kind}文件名是其中之一",
    "no tiering or allocation file in this folder": "此文件夹中没有分档或投放规则文件",
    "gives no {rule_kind} file; give a folder holding both rule files, or --scenario to supply the {rule_kind} file": "没有给出{rule_kind}文件；请给出同时存放两种规则文件的文件夹，或用 --scenario 提供{rule_kind}文件",
    "diff needs a snapshot: give --snapshot, or --scenario whose snapshot is used": "diff 需要客户数据：请给出 --snapshot，或给出 --scenario 以使用其客户数据",
    "refusing to write the client list there: {client_list}; give --clients a new file, or a client list that allocator wrote": "拒绝把客户列表写到这里：{client_list}；请给 --clients 一个新文件，或 allocator 写出的客户列表",
    "cannot write the client list: {detail}": "无法写出客户列表：{detail}",
    "the scenario has no cycle; add cycle: {example}": "该方案没有 cycle；请添加 cycle: {example}",
    "{supply} is more than the {remaining} units cycle {cycle} has left for round {round} (cycle supply {total}, {issued} issued by approved rounds)": "{supply} 超过了周期 {cycle} 留给轮次 {round} 的 {remaining} 条（周期货源 {total}，已批准的轮次已发放 {issued}）",
    "{named} cannot be approved: it was worked out from {was} of cycle {cycle}, and the approved rounds are now {now}; its supply and rotation are out of date: batch round {round} again and approve that run": "{named} 无法批准：它是在周期 {cycle} 的已批准轮次为{was}时算出的，而现在已批准的轮次是{now}；其货源和轮换已过时：请重新 batch 轮次 {round} 并批准那个运行",
    "the {sheet} sheet needs {n} columns, more than Excel's {m}; leave xlsx out of the scenario's outputs and use the CSVs": "{sheet} 工作表需要 {n} 列，超过 Excel 的 {m} 列；请从方案的 outputs 中去掉 xlsx，改用 CSV",
    "the {sheet} sheet, row {row}, column {column}: a text of {n} characters, more than an Excel cell holds ({m}); keep fewer columns, or leave xlsx out of the scenario's outputs": "{sheet} 工作表第 {row} 行，列 {column}：文本有 {n} 个字符，超过 Excel 单元格的上限（{m}）；请少保留一些列，或从方案的 outputs 中去掉 xlsx",
    # why an input file or a run's file cannot be read (inputs/reading.py, outputs/notice.py)
    "no such file": "文件不存在",
    "permission denied": "没有读取权限",
    "is a symbolic link that loops": "是循环的符号链接",
    "cannot read: {detail}": "无法读取：{detail}",
    "is a directory, not a file": "是文件夹，不是文件",
    "is a named pipe (FIFO), not a regular file": "是命名管道（FIFO），不是普通文件",
    "is a character device, not a regular file": "是字符设备，不是普通文件",
    "is a block device, not a regular file": "是块设备，不是普通文件",
    "is a socket, not a regular file": "是套接字，不是普通文件",
    "is not a regular file": "不是普通文件",
    "{named} cannot be approved: its output folder {folder} is not as the run left it: {manifest}": "{named} 无法批准：其输出文件夹 {folder} 已不是运行结束时的样子：{manifest}",
    "{named} cannot be published: its output folder {folder} is not as the run left it: {manifest}": "{named} 无法发布：其输出文件夹 {folder} 已不是运行结束时的样子：{manifest}",
    "missing, but the manifest gives its sha256 {recorded}": "缺失，但清单记录了它的 sha256 {recorded}",
    "cannot read it: {detail}": "无法读取：{detail}",
    "sha256 {digest}, but the manifest says {recorded}": "sha256 为 {digest}，但清单记录的是 {recorded}",
    "lists no {stem}.csv": "没有列出 {stem}.csv",
    "lists {name}, which is not a file of the folder": "列出了 {name}，但它不是该文件夹中的文件",
    # the command line as argparse and the CLI refuse it (cli.py), after "argument --x: " if any
    "the following arguments are required: {args}": "缺少必需的参数：{args}",
    "unrecognized arguments: {args}": "无法识别的参数：{args}",
    "invalid choice: {value} (choose from {choices})": "无效的选择：{value}（可选 {choices}）",
    "invalid {type} value: {value}": "无效的 {type} 值：{value}",
    "expected one argument": "需要一个值",
    "expected at least one argument": "至少需要一个值",
    "not allowed with argument {other}": "不能与参数 {other} 一起使用",
    "ambiguous option: {option} could match {matches}": "有歧义的选项：{option} 可以匹配 {matches}",
    "{value} is not a number of seconds from 0 to {limit}": "{value} 不是 0 到 {limit} 之间的秒数",
    "{value} is not a run id (a whole number from 1; see allocator runs)": "{value} 不是运行编号（从 1 开始的整数；见 allocator runs）",
    "--supersede RUN and --reason TEXT go together: give both or neither": "--supersede RUN 和 --reason TEXT 须一起使用：要么都给出，要么都不给",
}  # fmt: skip

# parts of a message that are phrases themselves: each field named here is translated on its own
FRAGMENTS: dict[str, dict[str, str]] = {
    "why": {
        "is excluded by eligibility rule {rule}": "被准入规则 {rule} 排除",
        "is not in the product's segments": "不在该品规的投放区域内",
        "is in a tier outside the product's window": "所在档位不在该品规的投放档位内",
    },
    "cap": {"its cap {n} (its order)": "其上限 {n}（其订单量）", "its cap {n} (max_per_client)": "其上限 {n}（max_per_client）"},
    "units": {"{n} units": "{n} 条", "1 unit": "1 条"},
    "pool": {"": "", " in {segment}": "（{segment}）"},
    "inside": {"": "", " in pool {name}": "（投放池 {name}）"},
    # a run as the ledger's messages name it, its state, its period
    "named": {
        "run {run} ({scenario}, period {period}, round {round})": "运行 {run}（{scenario}，周期 {period}，轮次 {round}）",
        "run {run} ({scenario}, period {period})": "运行 {run}（{scenario}，周期 {period}）",
    },
    "state": {
        "published (approved by {by}, {time})": "已发布（由 {by} 批准，{time}）",
        "approved by {by} ({time})": "已由 {by} 批准（{time}）",
        "superseded by run {run}": "已被运行 {run} 取代",
        "approved": "已批准", "published": "已发布", "superseded": "已被取代", "draft": "是草稿",
    },
    "what": {"output folder {path}": "输出文件夹 {path}", "ledger {path}": "台账 {path}"},
    "sheet_kind": {"assignments file": "分配文件", "locks file": "锁定文件", "plan sheet": "计划表"},
    "sheet_kinds": {"assignments files": "分配文件", "locks files": "锁定文件", "plan sheets": "计划表"},
    "rows_are": {"one row per assignment": "每项分配一行", "one row per lock": "每个锁定一行", "one row per plan": "每个计划一行"},
    "rule_kind": {"tiering": "分档规则", "allocation": "投放规则"},
    "client_list": {
        "it is a symbolic link": "这是符号链接", "it is a folder": "这是文件夹", "it is not a regular file": "这不是普通文件",
        "it is a file that allocator did not write (its first line is not a client list's header)": "这是并非 allocator 写出的文件（其第一行不是客户列表的表头）",
        "its folder {folder} does not exist": "其所在文件夹 {folder} 不存在",
    },
    "was": {"runs {runs}": "运行 {runs}", "run {run}": "运行 {run}", "no approved round": "无"},
    "now": {"runs {runs}": "运行 {runs}", "run {run}": "运行 {run}", "none": "无"},
    "manifest": {
        "{file} is missing": "{file} 不存在", "{file} is larger than {n} bytes; no run writes that": "{file} 超过 {n} 字节；没有运行会写出这样的文件",
        "{file}: cannot read it: {detail}": "{file}：无法读取：{detail}", "{file} is not the JSON a run writes": "{file} 不是运行写出的 JSON",
        "{file} is not a manifest that allocator wrote": "{file} 不是 allocator 写出的清单",
    },
    "when": {"period {period}, round {round}": "周期 {period}、轮次 {round}", "period {period}": "周期 {period}"},
}  # fmt: skip

# endings added to many messages, translated on their own after the message
SUFFIXES: dict[str, str] = {
    "; did you mean {suggestion}?": "；是否应为 {suggestion}？",
    "; expected one of {choices}": "；应为 {choices} 之一",
    " ({n} more row like this)": "（另有 {n} 行同样的问题）",
    " ({n} more rows like this)": "（另有 {n} 行同样的问题）",
}  # fmt: skip

# the words of a location before the message: "row 4, column volume", "row 1"
LOCATION = re.compile(r"(?:(?<=^)|(?<=: ))row (?P<row>\d{1,3}(?:,\d{3})*(?!\d)|\d+)(?:, column (?P<column>(?:(?!: ).)+))?(?=: )")
FIELD = re.compile(r"\{(\w+)\}")
# what the messages say of a value instead of quoting it ("expected a mapping, got a list")
VALUE_WORDS = {"a list": "列表", "a mapping": "映射", "an empty list": "空列表", "nothing": "空值"}
_ANY = r"(?:(?!: ).)+?"  # a field: anything but the ": " that ends a location
_NUMBER = r"-?\d{1,3}(?:,\d{3})*(?!\d)|-?\d+"  # a field that is a count, a row, a line, a character or a limit
NUMBERS = frozenset({"n", "m", "row", "line", "size", "limit", "at", "offset", "run", "rival", "quota"})
NAMES = frozenset({"field"})  # a field's name: no spaces (so "no client has {field} {value}" splits one way)
WIDE = frozenset({"setting", "example", "detail", "where"})  # a field that may itself hold ": " (YAML written out)


def _phrases(field: str) -> str:
    """A fragment field's regex: one of its English phrases, their own fields as free text."""
    texts = (re.escape(en).replace(r"\{", "{").replace(r"\}", "}") for en in FRAGMENTS[field])
    return "(?:" + "|".join(FIELD.sub(lambda _: _ANY, t) for t in texts) + ")"


def _pattern(template: str, anchored_start: bool) -> re.Pattern[str]:
    parts, at = [], 0
    for m in FIELD.finditer(template):
        parts.append(re.escape(template[at : m.start()]))
        name = m.group(1)
        kind = _NUMBER if name in NUMBERS else ".+?" if name in WIDE else r"\S+?" if name in NAMES else _ANY
        kind = _phrases(name) if name in FRAGMENTS else kind
        parts.append(f"(?P={name})" if f"(?P<{name}>" in "".join(parts) else f"(?P<{name}>{kind})")
        at = m.end()
    parts.append(re.escape(template[at:]))
    head = r"(?:^|(?<=: ))" if anchored_start else ""
    return re.compile(head + "".join(parts) + "$")


# the template with the most words of its own first ("unknown product key" before "unknown product
# {product}"), then the longest: a message matches the most specific of the templates that fit it
_MESSAGES = [
    (_pattern(en, True), zh)
    for en, zh in sorted(MESSAGES.items(), key=lambda kv: (-len(FIELD.sub("", kv[0])), -len(kv[0])))
]
_SUFFIXES = [(_pattern(en, False), zh) for en, zh in SUFFIXES.items()]


def translate_line(line: str) -> str | None:
    """One line of a message in Chinese: its location and key path as written, its sentence (and
    its endings: did you mean, expected one of, more rows) translated; None if no template matches."""
    ends = ""
    while True:
        for pattern, zh in _SUFFIXES:
            found = pattern.search(line)
            if found:
                ends = zh.format(**found.groupdict()) + ends
                line = line[: found.start()]
                break
        else:
            break
    for pattern, zh in _MESSAGES:
        found = pattern.search(line)
        if found:
            head = LOCATION.sub(_located, line[: found.start()])
            fields = {k: _fragment(k, VALUE_WORDS.get(v, v)) for k, v in found.groupdict().items()}
            if "where" in fields and fields["where"] is not None:
                fields["where"] = WHERE_ROW.sub(_located, fields["where"])
            if None in fields.values():
                continue  # a phrase inside it is not in the catalogue: try another template
            return head + zh.format(**fields) + ends
    return None


_FRAGMENTS = {field: [(_pattern(en, False), zh) for en, zh in t.items()] for field, t in FRAGMENTS.items()}


# what a folder is or contains, in the refusals to write there: "it is A and B and contains C, D"
PLACES: dict[str, str] = {
    "the working directory": "工作目录",
    "your home directory": "你的主目录",
    "the scenario {path}": "方案 {path}",
    "the tiering file {path}": "分档规则文件 {path}",
    "the allocation file {path}": "投放规则文件 {path}",
    "the snapshot {path}": "客户数据 {path}",
    "the assignments file {path}": "分配文件 {path}",
    "the locks file {path}": "锁定文件 {path}",
    "the ledger {path}": "台账 {path}",
    "the outputs of run {id}": "运行 {id} 的输出",
    "inside the output folder of run {id}": "在运行 {id} 的输出文件夹内",
    "files that allocator did not write ({files})": "不是 allocator 写出的文件（{files}）",
    "files that are not part of a notice ({files})": "不属于通知的文件（{files}）",
}  # fmt: skip
_PLACES = [
    (re.compile(FIELD.sub(lambda m: f"(?P<{m.group(1)}>.+?)", re.escape(en).replace(r"\{", "{").replace(r"\}", "}"))
                + "(?:, |$)"), zh)
    for en, zh in PLACES.items()
]  # fmt: skip
_IS_HOLDS = re.compile(r"(?:it is (?P<is>.+?))?(?:(?: and |; it |^it )contains (?P<holds>.+))?")
_MORE = re.compile(r" and (?P<n>\d+) more$")  # "a, b, c and 4 more": the files left unnamed


def _places(value: str) -> str | None:
    """'it is A and contains B, C' in Chinese, each place of PLACES (None: a place not in it)."""
    found = _IS_HOLDS.fullmatch(value)
    if not value or found is None:
        return None
    said = []
    for key, joint, head in (("is", " and ", "它是"), ("holds", None, "其中有")):
        text, items = found.group(key), []
        while text:
            for pattern, zh in _PLACES:
                item = pattern.match(text) if joint is None else pattern.fullmatch(text.split(joint)[0] + ", ")
                if item:
                    fields = {k: _MORE.sub(r"，另有 \g<n> 个", v) for k, v in item.groupdict().items()}
                    items.append(zh.format(**fields))
                    text = text[item.end() :] if joint is None else text[len(text.split(joint)[0]) + len(joint) :]
                    break
            else:
                return None
        if items:
            said.append(head + ("和" if joint else "、").join(items))
    return "；".join(said)


def _fragment(field: str, value: str) -> str | None:
    """A field's value, or its Chinese when the field is a phrase of FRAGMENTS (None: no such phrase)."""
    if field == "places":
        return _places(value) or value  # a place not in PLACES: carried over as written, as a quoted value
    if field not in _FRAGMENTS:
        return value
    for pattern, zh in _FRAGMENTS[field]:
        found = pattern.fullmatch(value)
        if found:
            return zh.format(**found.groupdict())
    return None


WHERE_ROW = re.compile(r"(?:row|line) (?P<row>\d{1,3}(?:,\d{3})*(?!\d)|\d+)(?:, column (?P<column>[^\s)]+))?")


def _located(m: re.Match[str]) -> str:
    column = m.group("column")
    return f"第 {m.group('row')} 行" + (f"，列 {column}" if column else "")


def translate(text: str, lang: str | None) -> str:
    """A user-error message in `lang`: each line translated in zh (a line no template matches
    stays English); unchanged in en."""
    if lang != "zh":
        return text
    return "\n".join(translate_line(line) or line for line in text.split("\n"))


ARGUMENT = re.compile(r"argument (?P<arg>(?:(?!: ).)+): ")  # argparse's "argument --wait: " before its message


def translate_usage(message: str, lang: str | None) -> str:
    """An error of the command line's parser in `lang`: "argument --x: " as 参数 --x：, the rest
    as the catalogue says; unchanged in en, or when the catalogue has no template for it."""
    if lang != "zh":
        return message
    found = ARGUMENT.match(message)
    head, rest = (f"参数 {found.group('arg')}：", message[found.end() :]) if found else ("", message)
    translated = translate_line(rest)
    return message if translated is None else head + translated
