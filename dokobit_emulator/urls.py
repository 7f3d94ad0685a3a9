app_name = "dokobit_emulator"
urlpatterns: list = []
