"""The HUD's colours (RGBA, 0-255), shared by the pyglet HUD and the Dear ImGui control panel so they match."""

PANEL_COLOR = (8, 12, 28, 200)
TEXT_COLOR = (220, 228, 240, 255)
BUTTON_COLOR = (40, 60, 110, 220)
