from django.contrib.auth import views as auth_views
from django.http import HttpResponse


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"


def home(request):
    return HttpResponse("jinfu")


def healthz(request):
    return HttpResponse("ok")


def logout_view(request):
    return HttpResponse("bye")
