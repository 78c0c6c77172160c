import pathlib
import sys

# Recipes import their sibling `recipe_arguments` as scripts do.
RECIPES = pathlib.Path(__file__).parents[2] / "recipes"
if str(RECIPES) not in sys.path:
    sys.path.insert(0, str(RECIPES))
