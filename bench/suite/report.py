"""The suite's table: every figure with its tool, then each target with the figure it is held to."""

import platform
import subprocess


def fmt(value, unit):
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.1f} {unit}"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {cores} cores{mem}"


class Report:
    def __init__(self):
        self.rows = []

    def add(self, case, measure, tool, value, unit):
        self.rows.append({"case": case, "measure": measure, "tool": tool, "value": value, "unit": unit})

    def target(self, case, measure, value, op, limit, unit="x"):
        """A figure held to a target, such as `value <= 0.5` (x) or `value < 50` (MB)."""
        met = {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]
        self.rows.append(
            {"case": case, "measure": measure, "tool": "target", "value": value, "unit": unit,
             "target": f"{op} {fmt(limit, unit)}", "met": met}
        )

    def print(self, quick=False):
        print(f"\nmachine: {machine()}\n")
        print("| case | measure | tool | median |")
        print("|---|---|---|---|")
        for row in self.rows:
            if row["tool"] != "target":
                print(f"| {row['case']} | {row['measure']} | {row['tool']} | {fmt(row['value'], row['unit'])} |")
        print("\n| case | target | figure | target | met |")
        print("|---|---|---|---|---|")
        for row in self.rows:
            if row["tool"] == "target":
                # At the quick mode's sizes fixed costs dominate: its figures prove nothing either way.
                met = "(quick run)" if quick else "yes" if row["met"] else "**no**"
                print(f"| {row['case']} | {row['measure']} | {fmt(row['value'], row['unit'])} | {row['target']} | {met} |")
