"""The prompt registry: specs, rendering, diffs, prompt files and the versioned store.

Import the pieces from their modules (``studio.core.prompts.spec``, ``.template``, ``.render``,
``.diff``, ``.files``, ``.service``); this package re-exports the common names.
"""

from studio.core.prompts.diff import PromptDiff, diff_versions
from studio.core.prompts.files import export_prompt_file, load_prompt_file
from studio.core.prompts.render import RenderResult, render
from studio.core.prompts.spec import Message, PromptSpec
from studio.core.prompts.template import find_variables

__all__ = [
    "Message",
    "PromptDiff",
    "PromptSpec",
    "RenderResult",
    "diff_versions",
    "export_prompt_file",
    "find_variables",
    "load_prompt_file",
    "render",
]
