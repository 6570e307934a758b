"""The order of the gallery's examples: the order a user meets the tasks in."""

ORDER = [
    "search_slice_fetch.py",
    "aia_day_coverage.py",
    "hmi_vector_field.py",
    "sharp_time_series.py",
    "tracked_aia_cutout.py",
    "command_line_bulk.py",
]


class ExampleOrder:
    """sphinx-gallery's ``within_subsection_order``: examples in `ORDER`, any others after them by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename: str):
        return (ORDER.index(filename), "") if filename in ORDER else (len(ORDER), filename)
